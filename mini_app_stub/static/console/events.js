// Scan events of traced codes, as a timeline table and as points and a path on the map.
import { ApiError, el, formatTime } from "/ui/common/api.js";
import { badge, call, codeLink, partyLink } from "/ui/console/shared.js";

export const MAX_TRACED_CODES = 10;

export const LEGEND = [
  el("span", { class: "key expected" }, "expected territory"),
  el("span", { class: "key territory" }, "other territory"),
  el("span", { class: "key evidence" }, "evidence scan"),
  el("span", { class: "key scan" }, "other scan"),
  el("span", { class: "key registered" }, "no GPS: party's registered location"),
  el("span", { class: "key accuracy" }, "GPS accuracy"),
  el("span", { class: "key custody" }, "custody path (scan order)"),
];

export async function tracesOf(codes) {
  const out = [];
  for (const code of codes.slice(0, MAX_TRACED_CODES)) {
    try {
      out.push(await call(`/v1/codes/${encodeURIComponent(code)}/trace`));
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) throw err;
    }
  }
  return out;
}

export function eventsOf(traces) {
  const seen = new Map();
  for (const t of traces) for (const e of t.events) if (!seen.has(e.event_id)) seen.set(e.event_id, { ...e, code: t.code });
  return [...seen.values()].sort((a, b) => a.scanned_at.localeCompare(b.scanned_at));
}

/** Scans without a GPS fix are placed at the scanning party's registered location. */
export async function placeEvents(events) {
  const missing = [...new Set(events.filter((e) => !e.location && e.party_id).map((e) => e.party_id))];
  const parties = new Map();
  await Promise.all(
    missing.map(async (id) => {
      try {
        parties.set(id, await call(`/v1/parties/${encodeURIComponent(id)}`));
      } catch (err) {
        if (!(err instanceof ApiError && err.status === 404)) throw err;
      }
    }),
  );
  return events.map((e) => {
    if (e.location || !parties.has(e.party_id)) return e;
    const where = parties.get(e.party_id).location;
    return { ...e, location: { lat: where.lat, lon: where.lon, accuracy_m: null }, registered: true };
  });
}

export function eventPoints(events, evidence) {
  return events
    .filter((e) => e.location)
    .map((e, i) => ({
      lat: e.location.lat,
      lon: e.location.lon,
      accuracy_m: e.location.accuracy_m,
      n: i + 1,
      cls: `${evidence.has(e.event_id) ? "evidence" : ""} ${e.verdict} ${e.registered ? "registered" : ""}`,
      label: `${i + 1}. ${e.checkpoint} by ${e.party_id || "consumer"} at ${formatTime(e.scanned_at)}${e.registered ? " (no GPS: the party's registered location)" : e.location.accuracy_m ? ` (±${Math.round(e.location.accuracy_m)} m)` : ""}${evidence.has(e.event_id) ? " — evidence" : ""}`,
    }));
}

/** The custody path on the map: located scans, leaving out counterfeits and consumer checks. */
export function custodyPath(events) {
  return events.filter((e) => e.location && e.verdict !== "counterfeit" && e.checkpoint !== "consumer_verify").map((e) => e.location);
}

function eventRow(e, evidence, n) {
  return el(
    "tr",
    { class: evidence.has(e.event_id) ? "evidence" : "", "data-event-id": e.event_id },
    el("td", {}, e.location ? String(n) : ""),
    el("td", {}, formatTime(e.scanned_at), evidence.has(e.event_id) ? el("span", { class: "badge high" }, "evidence") : ""),
    el("td", {}, e.checkpoint.replace(/_/g, " "), e.via ? el("span", { class: "muted small" }, ` via ${e.via}`) : ""),
    el("td", {}, e.party_id ? partyLink(e.party_id) : "consumer"),
    el("td", {}, e.to_party_id ? partyLink(e.to_party_id) : ""),
    el("td", { class: "small" }, e.location ? `${e.location.lat.toFixed(4)}, ${e.location.lon.toFixed(4)}${e.registered ? " (registered, no GPS)" : e.location.accuracy_m ? ` ±${Math.round(e.location.accuracy_m)} m` : ""}` : "—"),
    el("td", {}, badge(e.verdict)),
    el("td", { class: "small" }, codeLink(e.code)),
  );
}

export function timeline(events, evidence) {
  let n = 0;
  return el(
    "table",
    { class: "grid timeline" },
    el("caption", { class: "sr-only" }, "Evidence timeline, in scan order"),
    el("thead", {}, el("tr", {}, ...["#", "Scanned", "Checkpoint", "Party", "To", "Location", "Verdict", "Code"].map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, ...events.map((e) => eventRow(e, evidence, e.location ? ++n : n))),
  );
}
