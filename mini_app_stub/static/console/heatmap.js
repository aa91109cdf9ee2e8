// Consumer verifications per grid cell over the sales territories.
import { el, formatTime } from "/ui/common/api.js";
import { drawMap } from "/ui/console/map.js";
import { call, content, mapFigure, territories } from "/ui/console/shared.js";

function busiestCells(top) {
  return top.length
    ? el("table", { class: "grid" }, el("thead", {}, el("tr", {}, ...["Centre", "Checks", "Genuine", "Suspicious", "Counterfeit"].map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, ...top.map((c) => el("tr", {}, el("td", {}, `${c.lat.toFixed(2)}, ${c.lon.toFixed(2)}`), el("td", {}, String(c.count)), el("td", {}, String(c.genuine)), el("td", {}, String(c.suspicious)), el("td", {}, String(c.counterfeit))))))
    : el("p", { class: "empty" }, "No consumer verifications with a location in this period.");
}

export async function heatmapView(query) {
  const asked = Number(query.get("days") || "30");
  const days = [1, 7, 30, 90, 365].includes(asked) ? asked : 30;
  const since = new Date(Date.now() - days * 86400000).toISOString();
  const [stats, allTerritories] = await Promise.all([call(`/v1/stats/verifications?since=${encodeURIComponent(since)}`), territories()]);
  const choose = el("select", { id: "days" }, ...[1, 7, 30, 90, 365].map((d) => el("option", { value: d }, d === 1 ? "last 24 hours" : `last ${d} days`)));
  choose.value = String(days);
  choose.addEventListener("change", () => (location.hash = `#/heatmap?days=${choose.value}`));
  const svg = drawMap({ territories: allTerritories, cells: stats.cells, cellDeg: stats.cell_deg, focus: "all", title: "Consumer verifications per 0.1° cell over the sales territories" });
  const top = stats.cells.slice(0, 20);
  content(
    el("h1", {}, "Consumer verifications"),
    el("div", { class: "row" }, el("label", { for: "days" }, "Period"), choose),
    el("p", {}, `${stats.total} verification(s) with a location since ${formatTime(stats.since)}; ${stats.without_location} without. Cells of ${stats.cell_deg}°.`),
    mapFigure(svg, [el("span", { class: "key cell-low" }, "few"), el("span", { class: "key cell-high" }, "many verifications"), el("span", { class: "key territory" }, "territory")]),
    el("h2", {}, "Busiest cells"),
    busiestCells(top),
  );
}
