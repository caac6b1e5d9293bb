// The child's exploitation screenings over time: each screening's score, on an axis marked where each band starts,
// with the band recorded in the tooltip. From the JSON the page carries; the table below holds the same figures.
document.addEventListener("DOMContentLoaded", function () {
  var canvas = document.getElementById("screening-chart");
  var data = document.getElementById("screening-chart-data");
  if (!canvas || !data || typeof Chart === "undefined") {
    return;
  }
  var trend = JSON.parse(data.textContent);
  var starts = trend.bands.map(function (band) { return band.low; });
  var highest = Math.max.apply(null, trend.points.map(function (point) { return point.score; }).concat(starts));
  new Chart(canvas, {
    type: "line",
    data: {
      labels: trend.points.map(function (point) { return point.date; }),
      datasets: [
        {
          label: "Score",
          data: trend.points.map(function (point) { return point.score; }),
          borderColor: "#0d6efd",
          backgroundColor: "#0d6efd",
          pointRadius: 5,
        },
      ],
    },
    options: {
      responsive: true,
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            label: function (item) {
              var point = trend.points[item.dataIndex];
              return "Score " + point.score + ": " + point.band_label;
            },
          },
        },
      },
      scales: {
        y: {
          min: 0,
          max: highest + 2,
          title: { display: true, text: "Score (where each band starts)" },
          afterBuildTicks: function (axis) {
            axis.ticks = starts.map(function (value) { return { value: value }; });
          },
          ticks: {
            callback: function (value) {
              var band = trend.bands[starts.indexOf(value)];
              return band ? band.name + " " + value : value;
            },
          },
        },
      },
    },
  });
});
