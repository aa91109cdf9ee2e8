// Maps drawn as SVG from GeoJSON territories, scan points (with accuracy circles), a custody
// path and heat-map cells. Equirectangular projection scaled by cos(latitude): fine at the
// scale of a sales territory, and no tiles to download.

const NS = "http://www.w3.org/2000/svg";
const M_PER_DEG = 111320;

function s(tag, attrs = {}, ...children) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) node.setAttribute(k, String(v));
  for (const c of children) if (c) node.append(c);
  return node;
}

function rings(geometry) {
  if (!geometry) return [];
  if (geometry.type === "Polygon") return geometry.coordinates;
  if (geometry.type === "MultiPolygon") return geometry.coordinates.flat();
  return [];
}

function extend(box, lon, lat) {
  box[0] = Math.min(box[0], lon);
  box[1] = Math.min(box[1], lat);
  box[2] = Math.max(box[2], lon);
  box[3] = Math.max(box[3], lat);
}

/**
 * opts: {territories: [{id, name, geometry}], highlight: Set(ids), points: [{lat, lon,
 * accuracy_m, label, cls}], path: [{lat, lon}], cells: [{lat, lon, count}], cellDeg,
 * focus: "highlight" | "all", title}
 */
export function drawMap(opts) {
  const territories = opts.territories || [];
  const highlight = opts.highlight || new Set();
  const points = (opts.points || []).filter((p) => Number.isFinite(p.lat) && Number.isFinite(p.lon));
  const path = (opts.path || []).filter((p) => Number.isFinite(p.lat) && Number.isFinite(p.lon));
  const cells = opts.cells || [];
  const cellDeg = opts.cellDeg || 0.1;

  const box = [Infinity, Infinity, -Infinity, -Infinity];
  // Frame the expected territories and every territory a point falls in (bounding boxes).
  const hit = (t) => {
    const b = [Infinity, Infinity, -Infinity, -Infinity];
    for (const ring of rings(t.geometry)) for (const [lon, lat] of ring) extend(b, lon, lat);
    return points.some((p) => p.lon >= b[0] && p.lon <= b[2] && p.lat >= b[1] && p.lat <= b[3]);
  };
  const focusTerritories = territories.filter((t) => highlight.has(t.id) || hit(t));
  for (const t of focusTerritories.length && opts.focus !== "all" ? focusTerritories : territories) {
    for (const ring of rings(t.geometry)) for (const [lon, lat] of ring) extend(box, lon, lat);
  }
  for (const p of [...points, ...path]) {
    const pad = (p.accuracy_m || 0) / M_PER_DEG;
    extend(box, p.lon - pad, p.lat - pad);
    extend(box, p.lon + pad, p.lat + pad);
  }
  for (const c of cells) {
    extend(box, c.lon - cellDeg / 2, c.lat - cellDeg / 2);
    extend(box, c.lon + cellDeg / 2, c.lat + cellDeg / 2);
  }
  if (!Number.isFinite(box[0])) {
    return s("svg", { viewBox: "0 0 400 60", role: "img", "aria-label": "Nothing to draw" }, s("text", { x: 10, y: 35 }, "No territories or locations to draw."));
  }
  const minSpan = 0.05;
  for (const [lo, hi] of [[0, 2], [1, 3]]) {
    if (box[hi] - box[lo] < minSpan) {
      const mid = (box[lo] + box[hi]) / 2;
      box[lo] = mid - minSpan / 2;
      box[hi] = mid + minSpan / 2;
    }
  }
  const padLon = (box[2] - box[0]) * 0.08;
  const padLat = (box[3] - box[1]) * 0.08;
  const [minLon, minLat, maxLon, maxLat] = [box[0] - padLon, box[1] - padLat, box[2] + padLon, box[3] + padLat];
  const kx = Math.cos((((minLat + maxLat) / 2) * Math.PI) / 180);
  const width = 800;
  const scale = width / ((maxLon - minLon) * kx);
  const height = Math.max(200, Math.min(900, (maxLat - minLat) * scale));
  const x = (lon) => ((lon - minLon) * kx * scale).toFixed(1);
  const y = (lat) => ((maxLat - lat) * scale).toFixed(1);
  const metres = (m) => (m / M_PER_DEG) * scale;

  const svg = s("svg", {
    viewBox: `0 0 ${width} ${Math.round(height)}`,
    class: "map",
    role: "img",
    "aria-label": opts.title || "Map",
    preserveAspectRatio: "xMidYMid meet",
  });
  svg.append(s("title", {}, document.createTextNode(opts.title || "Map")));
  svg.append(s("rect", { x: 0, y: 0, width, height: Math.round(height), class: "sea" }));

  const gTerr = s("g", { class: "territories" });
  for (const t of territories) {
    const d = rings(t.geometry)
      .map((ring) => "M" + ring.map(([lon, lat]) => `${x(lon)},${y(lat)}`).join("L") + "Z")
      .join("");
    if (!d) continue;
    const on = highlight.has(t.id);
    const poly = s("path", { d, class: on ? "territory expected" : "territory", "fill-rule": "evenodd", "data-territory": t.id });
    poly.append(s("title", {}, document.createTextNode(`${t.name} (${t.id})${on ? " — expected territory" : ""}`)));
    gTerr.append(poly);
  }
  svg.append(gTerr);
  const gLabels = s("g", { class: "labels" });
  for (const t of territories) {
    const rs = rings(t.geometry);
    if (!rs.length) continue;
    const outer = rs[0];
    const cx = outer.reduce((a, p) => a + p[0], 0) / outer.length;
    const cy = outer.reduce((a, p) => a + p[1], 0) / outer.length;
    if (cx < minLon || cx > maxLon || cy < minLat || cy > maxLat) continue;
    gLabels.append(s("text", { x: x(cx), y: y(cy), class: highlight.has(t.id) ? "tlabel expected" : "tlabel", "text-anchor": "middle" }, document.createTextNode(t.name)));
  }
  svg.append(gLabels);

  if (cells.length) {
    const max = Math.max(...cells.map((c) => c.count));
    const gCells = s("g", { class: "cells" });
    for (const c of cells) {
      const level = Math.log(1 + c.count) / Math.log(1 + max);
      const rect = s("rect", {
        x: x(c.lon - cellDeg / 2),
        y: y(c.lat + cellDeg / 2),
        width: Math.max(2, cellDeg * kx * scale).toFixed(1),
        height: Math.max(2, cellDeg * scale).toFixed(1),
        class: "cell",
        "fill-opacity": (0.25 + 0.7 * level).toFixed(2),
        fill: `hsl(${Math.round(50 - 50 * level)}, 95%, ${Math.round(55 - 15 * level)}%)`,
        "data-count": c.count,
      });
      rect.append(s("title", {}, document.createTextNode(`${c.count} verification(s) near ${c.lat.toFixed(2)}, ${c.lon.toFixed(2)}${c.counterfeit ? ` — ${c.counterfeit} counterfeit` : ""}${c.suspicious ? `, ${c.suspicious} suspicious` : ""}`)));
      gCells.append(rect);
    }
    svg.append(gCells);
  }

  if (path.length > 1) {
    svg.append(s("polyline", { points: path.map((p) => `${x(p.lon)},${y(p.lat)}`).join(" "), class: "custody", "marker-end": "url(#arrow)" }));
    svg.prepend(
      s("defs", {}, s("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: "auto-start-reverse" }, s("path", { d: "M0,0L10,5L0,10z", class: "arrowhead" }))),
    );
  }

  const gPoints = s("g", { class: "points" });
  points.forEach((p, i) => {
    const g = s("g", { class: `point ${p.cls || ""}`, "data-point": i });
    if (p.accuracy_m) g.append(s("circle", { cx: x(p.lon), cy: y(p.lat), r: Math.max(1, metres(p.accuracy_m)).toFixed(1), class: "accuracy" }));
    g.append(s("circle", { cx: x(p.lon), cy: y(p.lat), r: 5, class: "dot" }));
    if (p.n !== undefined) g.append(s("text", { x: (Number(x(p.lon)) + 7).toFixed(1), y: (Number(y(p.lat)) - 6).toFixed(1), class: "plabel" }, document.createTextNode(String(p.n))));
    g.append(s("title", {}, document.createTextNode(p.label || "")));
    gPoints.append(g);
  });
  svg.append(gPoints);

  // scale bar
  const km = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000].find((v) => metres(v * 1000) > 60) || 1000;
  const len = metres(km * 1000);
  const yb = Math.round(height) - 14;
  svg.append(
    s("g", { class: "scalebar" },
      s("line", { x1: 12, y1: yb, x2: (12 + len).toFixed(1), y2: yb }),
      s("text", { x: 12, y: yb - 5 }, document.createTextNode(`${km} km`))),
  );
  return svg;
}
