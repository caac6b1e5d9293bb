// Draws the network of children, concerns and the people, vehicles, places and accounts around them with the
// vendored cytoscape. The table on the page holds the same nodes and links for keyboard and screen-reader users.
(function () {
  "use strict";
  var holder = document.getElementById("network-graph");
  var data = document.getElementById("network-data");
  if (!holder || !data || typeof window.cytoscape !== "function") {
    return;
  }
  var network = JSON.parse(data.textContent);
  if (!network.nodes.length) {
    holder.classList.add("d-none");
    return;
  }
  var colours = { entity: "#b02a37", concern: "#0b5ed7", child: "#198754" };
  var elements = network.nodes.map(function (node) {
    return { data: { id: node.id, label: node.label, kind: node.kind, url: node.url } };
  }).concat(network.edges.map(function (edge, index) {
    return { data: { id: "edge-" + index, source: edge.from, target: edge.to, label: edge.label } };
  }));
  var graph = window.cytoscape({
    container: holder,
    elements: elements,
    layout: { name: "cose", animate: false, padding: 40, nodeRepulsion: function () { return 12000; } },
    style: [
      { selector: "node", style: {
        label: "data(label)", "font-size": 11, "text-valign": "bottom", "text-margin-y": 4, "text-wrap": "wrap",
        "text-max-width": 120, "text-background-color": "#ffffff", "text-background-opacity": 0.85,
        "text-background-padding": 2, width: 22, height: 22, "background-color": "#6c757d" } },
      { selector: "node[kind = 'entity']", style: { "background-color": colours.entity, shape: "diamond",
        width: 30, height: 30 } },
      { selector: "node[kind = 'concern']", style: { "background-color": colours.concern, shape: "round-rectangle" } },
      { selector: "node[kind = 'child']", style: { "background-color": colours.child } },
      { selector: "edge", style: { width: 2, "line-color": "#adb5bd", "curve-style": "bezier" } }
    ],
    maxZoom: 1.3,
    userZoomingEnabled: true,
    boxSelectionEnabled: false
  });
  graph.on("tap", "node", function (event) {
    var url = event.target.data("url");
    if (url) {
      window.location.href = url;
    }
  });
})();
