// The signs on the concern form: each group's heading counts its ticked signs, a search box narrows the signs
// across every group, and unticking a sign clears how it was known. Without this script the form still works:
// every basis choice shows, and the counts are drawn by the server.
document.addEventListener("DOMContentLoaded", function () {
  var signs = document.getElementById("signs");
  if (!signs) {
    return;
  }
  var groups = Array.prototype.slice.call(signs.querySelectorAll("[data-group]"));

  function count(group) {
    var chosen = group.querySelectorAll("input[name='sign']:checked").length;
    var badge = group.querySelector("[data-count]");
    badge.textContent = chosen + " chosen";
    badge.hidden = chosen === 0;
  }

  signs.addEventListener("change", function (event) {
    var box = event.target;
    if (box.name !== "sign") {
      if (box.type === "radio") {
        // Choosing how a sign is known ticks it, should the tick have been missed.
        var tick = box.closest("[data-sign]").querySelector("input[name='sign']");
        if (!tick.checked) {
          tick.checked = true;
          count(box.closest("[data-group]"));
        }
      }
      return;
    }
    if (!box.checked) {
      box.closest("[data-sign]").querySelectorAll("input[type='radio']").forEach(function (radio) {
        radio.checked = false;
      });
    }
    count(box.closest("[data-group]"));
  });

  var search = signs.querySelector(".sign-search");
  var input = document.getElementById("sign-search");
  var result = document.getElementById("sign-search-result");
  var wasOpen = groups.map(function (group) {
    return group.open;
  });
  search.hidden = false;

  input.addEventListener("input", function () {
    var words = input.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    groups.forEach(function (group, index) {
      var inGroup = 0;
      group.querySelectorAll("[data-sign]").forEach(function (sign) {
        var text = sign.getAttribute("data-text");
        var match = words.every(function (word) {
          return text.indexOf(word) !== -1;
        });
        sign.hidden = !match;
        inGroup += match ? 1 : 0;
      });
      shown += inGroup;
      group.hidden = words.length > 0 && inGroup === 0;
      if (words.length === 0) {
        group.open = wasOpen[index] || group.querySelector("input[name='sign']:checked") !== null;
      } else if (inGroup > 0) {
        group.open = true;
      }
    });
    if (words.length === 0) {
      result.textContent = "";
    } else if (shown === 0) {
      result.textContent = "No sign matches: try another word, or describe it in your account.";
    } else {
      result.textContent = shown === 1 ? "1 sign matches." : shown + " signs match.";
    }
  });
});

// The body map: a tap on the outline adds a numbered mark there; choosing a part of the body from the list and
// "Add a mark there" does the same at that part's centre. Each mark gets its row of questions, and the draft is
// saved as for anything typed. Without this script the list and its button still work, through the server.
document.addEventListener("DOMContentLoaded", function () {
  var map = document.getElementById("body-map");
  if (!map) {
    return;
  }
  var list = document.getElementById("marks");
  var template = document.getElementById("mark-row-template");
  var status = document.getElementById("marks-status");
  var choice = document.getElementById("mark-region-choice");
  var SVG = "http://www.w3.org/2000/svg";

  function rows() {
    return Array.prototype.slice.call(list.querySelectorAll("[data-mark]"));
  }

  function svgFor(side) {
    return map.querySelector("svg[data-side='" + side + "']");
  }

  function draw(svg, number, x, y) {
    var group = document.createElementNS(SVG, "g");
    group.setAttribute("class", "body-mark");
    var circle = document.createElementNS(SVG, "circle");
    circle.setAttribute("cx", x);
    circle.setAttribute("cy", y);
    circle.setAttribute("r", 10);
    var text = document.createElementNS(SVG, "text");
    text.setAttribute("x", x);
    text.setAttribute("y", y + 5);
    text.setAttribute("fill", "#ffffff");
    text.setAttribute("stroke", "none");
    text.textContent = number;
    group.appendChild(circle);
    group.appendChild(text);
    svg.querySelector("g.marks").appendChild(group);
  }

  // Numbers follow the order of the rows; the drawn marks are redrawn from the rows each time.
  function renumber() {
    map.querySelectorAll("g.marks").forEach(function (marks) {
      marks.textContent = "";
    });
    rows().forEach(function (row, index) {
      var number = index + 1;
      row.querySelectorAll("[data-mark-number]").forEach(function (span) {
        span.textContent = number;
      });
      ["kind", "size", "colour", "note"].forEach(function (name) {
        var field = row.querySelector("[name='mark_" + name + "']");
        var label = row.querySelector("label[for='" + field.id + "']");
        field.id = "mark-" + number + "-" + name;
        label.setAttribute("for", field.id);
      });
      row.querySelector("[data-mark-remove]").value = number;
      var side = row.querySelector("[name='mark_side']").value;
      var x = parseInt(row.querySelector("[name='mark_x']").value, 10);
      var y = parseInt(row.querySelector("[name='mark_y']").value, 10);
      draw(svgFor(side), number, x, y);
    });
  }

  function changed(field) {
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function add(side, region, where, x, y) {
    var row = template.content.firstElementChild.cloneNode(true);
    row.querySelector("[name='mark_side']").value = side;
    row.querySelector("[name='mark_region']").value = region;
    row.querySelector("[name='mark_x']").value = Math.round(x);
    row.querySelector("[name='mark_y']").value = Math.round(y);
    row.querySelector("[data-mark-where]").textContent = where;
    list.appendChild(row);
    renumber();
    var count = rows().length;
    status.textContent = "Mark " + count + " added: " + where + ". Now say what kind of mark it is.";
    var kind = row.querySelector("[name='mark_kind']");
    kind.focus();
    changed(kind);
  }

  function sideLabel(side) {
    return side === "front" ? "Front" : "Back";
  }

  map.querySelectorAll("svg[data-side]").forEach(function (svg) {
    svg.addEventListener("click", function (event) {
      var shape = event.target.closest("[data-region]");
      if (!shape) {
        return;
      }
      var point = svg.createSVGPoint();
      point.x = event.clientX;
      point.y = event.clientY;
      var local = point.matrixTransform(svg.getScreenCTM().inverse());
      var side = svg.getAttribute("data-side");
      add(side, shape.getAttribute("data-region"), sideLabel(side) + ": " + shape.getAttribute("data-label"), local.x, local.y);
    });
  });

  map.querySelector("[data-mark-add]").addEventListener("click", function (event) {
    event.preventDefault();
    var value = choice.value;
    if (!value) {
      status.textContent = "Choose a part of the body first.";
      choice.focus();
      return;
    }
    var side = value.split(":")[0];
    var region = value.split(":")[1];
    var shape = svgFor(side).querySelector("[data-region='" + region + "']");
    var box = shape.getBBox();
    var taken = rows().filter(function (row) {
      return row.querySelector("[name='mark_side']").value === side && row.querySelector("[name='mark_region']").value === region;
    }).length;
    var x = box.x + box.width / 2 + (taken ? ((taken % 3) - 1) * 14 : 0);
    var y = box.y + box.height / 2 + (taken ? (Math.floor(taken / 3) + 1) * 14 * (taken % 2 ? 1 : -1) : 0);
    add(side, region, sideLabel(side) + ": " + shape.getAttribute("data-label"), Math.max(8, Math.min(192, x)), Math.max(8, Math.min(412, y)));
  });

  list.addEventListener("click", function (event) {
    var button = event.target.closest("[data-mark-remove]");
    if (!button) {
      return;
    }
    event.preventDefault();
    button.closest("[data-mark]").remove();
    renumber();
    status.textContent = "Mark removed. " + rows().length + " left.";
    choice.focus();
    changed(choice);
  });
});

// Enter in a one-line box must not send the form: the browser would press the form's first button, which may be
// "Remove" beside a chosen child, or send a concern half-written. (In the child search, Enter still searches.)
document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector(".concern-form form");
  if (!form) {
    return;
  }
  form.addEventListener("keydown", function (event) {
    var field = event.target;
    if (event.key !== "Enter" || field.tagName !== "INPUT" || ["checkbox", "radio", "submit"].indexOf(field.type) !== -1) {
      return;
    }
    event.preventDefault();
  });
});
