// The safeguarding report's charts, drawn from the JSON the page carries (no inline script). Each chart has its
// table beneath it with the same figures; a count hidden to protect a child (fewer than 5) has no bar.
document.addEventListener("DOMContentLoaded", function () {
  var data = document.getElementById("report-charts-data");
  if (!data || typeof Chart === "undefined") {
    return;
  }
  var colours = ["#1d5fa8", "#9aa5b1", "#b35c00", "#2e7d32"];
  JSON.parse(data.textContent).forEach(function (chart) {
    var canvas = document.getElementById("chart-" + chart.key);
    if (!canvas) {
      return;
    }
    var counts = { beginAtZero: true, ticks: { precision: 0 } };
    if (chart.horizontal) {
      // One row of bars per category, outcome or agency: the box grows with the rows so that none is squeezed.
      canvas.parentElement.style.height = Math.max(140, chart.labels.length * (14 + 12 * chart.series.length) + 60) + "px";
    }
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: chart.labels,
        datasets: chart.series.map(function (series, index) {
          return {
            label: series.name,
            data: series.values,
            backgroundColor: colours[index % colours.length],
          };
        }),
      },
      options: {
        indexAxis: chart.horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        plugins: {
          legend: { display: chart.series.length > 1 },
          tooltip: {
            callbacks: {
              label: function (item) {
                var value = item.raw === null ? "fewer than 5, or hidden" : item.raw;
                return item.dataset.label + ": " + value;
              },
            },
          },
        },
        scales: chart.horizontal ? { x: counts } : { y: counts },
      },
    });
  });
});
