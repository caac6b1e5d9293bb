// The screening's score and band as the DSL ticks, with the floors applied as the server applies them. The record
// is the server's: this only shows what saving would give. Reads its figures from the JSON the page carries.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("screening-form");
  var data = document.getElementById("screening-live");
  if (!form || !data) {
    return;
  }
  var live = JSON.parse(data.textContent);
  var keys = live.bands.map(function (band) { return band.key; });
  function higher(one, other) {
    if (!one) { return other; }
    if (!other) { return one; }
    return keys.indexOf(one) >= keys.indexOf(other) ? one : other;
  }
  function label(key) {
    return live.bands[keys.indexOf(key)].label;
  }
  function update() {
    var score = 0;
    var kinds = {};
    form.querySelectorAll(".screening-item").forEach(function (box) {
      var card = box.closest(".card");
      card.classList.toggle("border-primary", box.checked);
      // When, basis and source are asked of a ticked item only; a field sent back with an error stays in view.
      var detail = card.querySelector(".screening-detail");
      detail.hidden = !box.checked && !detail.querySelector(".is-invalid");
      if (box.checked) {
        score += parseInt(box.dataset.points, 10);
        kinds[box.dataset.kind] = true;
      }
    });
    var byScore = live.bands.filter(function (band) {
      return score >= band.low && (band.high === null || score <= band.high);
    })[0].key;
    var floor = live.floors.standing;
    if (kinds.disclosure) { floor = higher(floor, live.floors.disclosure); }
    if (kinds.sign_of_harm && live.floors.harm_under_age) { floor = higher(floor, live.floors.harm_under_age); }
    var harm = form.querySelector("input[name=significant_harm]");
    if (harm && harm.checked) { floor = higher(floor, live.floors.significant_harm); }
    document.getElementById("live-score").textContent = score;
    document.getElementById("live-by-score").textContent = label(byScore);
    document.getElementById("live-band").textContent = label(higher(byScore, floor));
  }
  form.addEventListener("change", update);
  update();
});
