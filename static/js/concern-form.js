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
