// The child's exploitation screenings over time: the band (left axis, by name) and the score (right axis), from the
// JSON the page carries. The table below the chart holds the same figures.
document.addEventListener("DOMContentLoaded", function () {
  var canvas = document.getElementById("screening-chart");
  var data = document.getElementById("screening-chart-data");
  if (!canvas || !data || typeof Chart === "undefined") {
    return;
  }
  var trend = JSON.parse(data.textContent);
  new Chart(canvas, {
    type: "line",
    data: {
      labels: trend.points.map(function (point) { return point.date; }),
      datasets: [
        {
          label: "Band",
          data: trend.points.map(function (point) { return point.band; }),
          yAxisID: "band",
          borderColor: "#b02a37",
          backgroundColor: "#b02a37",
          stepped: true,
        },
        {
          label: "Score",
          data: trend.points.map(function (point) { return point.score; }),
          yAxisID: "score",
          borderColor: "#0d6efd",
          backgroundColor: "#0d6efd",
          borderDash: [6, 4],
        },
      ],
    },
    options: {
      responsive: true,
      scales: {
        band: {
          position: "left",
          min: 1,
          max: trend.bands.length,
          ticks: {
            stepSize: 1,
            callback: function (value) { return trend.bands[value - 1] || ""; },
          },
          title: { display: true, text: "Band" },
        },
        score: {
          position: "right",
          beginAtZero: true,
          grid: { drawOnChartArea: false },
          ticks: { precision: 0 },
          title: { display: true, text: "Score" },
        },
      },
    },
  });
});
