// The trace of one code: its facts, custody chain, map and events.
import { el } from "/ui/common/api.js";
import { drawMap } from "/ui/console/map.js";
import { badge, call, codeLink, content, mapFigure, partyLink, territories } from "/ui/console/shared.js";
import { LEGEND, custodyPath, eventPoints, placeEvents, timeline } from "/ui/console/events.js";

function traceForm(code) {
  const input = el("input", { id: "trace-code", value: code || "", autocomplete: "off", spellcheck: "false" });
  const form = el("form", { class: "row trace-form" }, el("label", { for: "trace-code" }, "Code or payload"), input, el("button", { type: "submit", class: "primary" }, "Trace"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const v = input.value.trim();
    if (v) location.hash = `#/trace/${encodeURIComponent(v)}`;
  });
  return form;
}

function codeFacts(trace) {
  const custody = el("ol", { class: "custody-chain" }, ...trace.custodians.map((p) => el("li", {}, partyLink(p))));
  return el("section", { "aria-label": "Code" },
    el("dl", { class: "facts" },
      el("dt", {}, "Code"), el("dd", { class: "mono" }, trace.code),
      el("dt", {}, "Level"), el("dd", {}, trace.level),
      el("dt", {}, "GTIN / lot"), el("dd", { class: "mono" }, `${trace.gtin} / ${trace.lot}`),
      el("dt", {}, "Status"), el("dd", {}, badge(trace.status)),
      el("dt", {}, "Inside"), el("dd", {}, trace.parent ? codeLink(trace.parent) : "—"),
      el("dt", {}, "Contains"), el("dd", {}, String(trace.children_count)),
    ),
    el("h2", {}, "Custody chain"), trace.custodians.length ? custody : el("p", { class: "empty" }, "Nobody yet."),
    el("p", {}, el("a", { href: `#/alerts?code=${encodeURIComponent(trace.code)}` }, "Alerts naming this code")));
}

export async function traceView(code) {
  const form = traceForm(code);
  if (!code) {
    content(el("h1", {}, "Code trace"), form);
    return;
  }
  const [trace, allTerritories] = await Promise.all([call(`/v1/codes/${encodeURIComponent(code)}/trace`), territories()]);
  const events = await placeEvents(trace.events.map((e) => ({ ...e, code: trace.code })));
  const svg = drawMap({
    territories: allTerritories,
    highlight: new Set(),
    focus: "points",
    points: eventPoints(events, new Set()),
    path: custodyPath(events),
    title: `Map of the scans of ${trace.code}`,
  });
  content(
    el("h1", {}, "Code trace"),
    form,
    el("div", { class: "detail" }, codeFacts(trace), el("section", { "aria-label": "Map" }, mapFigure(svg, LEGEND.slice(1)))),
    el("h2", {}, "Events"),
    events.length ? timeline(events, new Set()) : el("p", { class: "empty" }, "No scans yet."),
  );
}
