/* The offline report: draw each figure from its json_script block (no network, no server). */
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const config = { responsive: true, displaylogo: false };
  document.querySelectorAll(".plot[data-json]").forEach((el) => {
    const figure = JSON.parse(document.getElementById(el.dataset.json).textContent);
    Plotly.newPlot(el, figure.data, figure.layout, config);
  });
});
