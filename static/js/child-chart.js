// Draws the child's signs by category and month from the JSON the page carries (no inline script).
document.addEventListener("DOMContentLoaded", function () {
  var canvas = document.getElementById("indicator-chart");
  var data = document.getElementById("indicator-chart-data");
  if (!canvas || !data || typeof Chart === "undefined") {
    return;
  }
  new Chart(canvas, {
    type: "bar",
    data: JSON.parse(data.textContent),
    options: {
      responsive: true,
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
    },
  });
});
