// One alert: its facts, the map and timeline of its evidence, the case actions and history.
import { el, errorText, formatTime } from "/ui/common/api.js";
import { drawMap } from "/ui/console/map.js";
import { $, badge, call, codeLink, content, mapFigure, partyLink, rerender, territories } from "/ui/console/shared.js";
import { LEGEND, MAX_TRACED_CODES, custodyPath, eventPoints, eventsOf, placeEvents, timeline, tracesOf } from "/ui/console/events.js";

const ACTION_WORDS = {
  investigate: "Investigate (opens the evidence period)",
  escalate: "Escalate (regional manager, then headquarters)",
  confirm: "Confirm",
  dismiss: "Dismiss",
  comment: "Comment",
};

function alertMap(alert, events, evidence, allTerritories) {
  const points = eventPoints(events, evidence);
  if (alert.observed_location && !events.some((e) => e.location && evidence.has(e.event_id))) {
    points.push({ ...alert.observed_location, cls: "evidence observed", label: "observed location" });
  }
  return drawMap({
    territories: allTerritories,
    highlight: new Set(alert.expected_territory_ids),
    points,
    path: custodyPath(events),
    title: `Map of alert ${alert.summary}: expected territories, scans and custody path`,
  });
}

function alertFacts(alert) {
  const overdue = alert.evidence_due_at && ["investigating", "escalated"].includes(alert.status) && new Date(alert.evidence_due_at) < new Date();
  return el(
    "dl",
    { class: "facts" },
    el("dt", {}, "Status"), el("dd", { id: "alert-status" }, badge(alert.status), alert.escalation_level ? ` (${alert.escalation_level})` : ""),
    el("dt", {}, "Severity"), el("dd", {}, badge(alert.severity)),
    el("dt", {}, "Type"), el("dd", {}, alert.type.replace(/_/g, " "), el("span", { class: "muted small" }, ` (${alert.reason})`)),
    el("dt", {}, "Source (named)"), el("dd", {}, partyLink(alert.source_party_id)),
    el("dt", {}, "Observed at"), el("dd", {}, partyLink(alert.observed_party_id), alert.observed_location ? el("span", { class: "muted small" }, ` ${alert.observed_location.lat.toFixed(4)}, ${alert.observed_location.lon.toFixed(4)}`) : ""),
    el("dt", {}, "Expected territories"), el("dd", {}, alert.expected_territory_ids.join(", ") || "—"),
    el("dt", {}, "First / last seen"), el("dd", {}, `${formatTime(alert.first_seen)} – ${formatTime(alert.last_seen)}`),
    el("dt", {}, "Evidence due"), el("dd", { class: overdue ? "overdue" : "" }, alert.evidence_due_at ? `${formatTime(alert.evidence_due_at)}${overdue ? " — OVERDUE" : ""}` : "— (starts with the investigation)"),
    el("dt", {}, "Penalty"), el("dd", { id: "penalty" }, alert.penalties?.length ? el("strong", {}, alert.penalties.map((p) => `${p.amount} ${p.currency}`).join(" and ")) : "—"),
  );
}

function actionForm(alert) {
  const actionSelect = el("select", { id: "action", name: "action", required: true }, ...(alert.allowed_actions?.length ? alert.allowed_actions : ["comment"]).map((a) => el("option", { value: a }, ACTION_WORDS[a])));
  const note = el("textarea", { id: "note", name: "note", rows: 3, required: true });
  const actionError = el("p", { class: "error", role: "alert", hidden: true });
  const form = el(
    "form",
    { class: "stack", id: "action-form", "aria-labelledby": "actions-title", novalidate: true },
    el("label", { for: "action" }, "Action"), actionSelect,
    el("label", { for: "note" }, "Note (required: what you did or found)"), note,
    actionError,
    el("button", { type: "submit", class: "primary" }, "Record action"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    actionError.hidden = true;
    if (!note.value.trim()) {
      actionError.textContent = "Write a note: every step of a case needs one.";
      actionError.hidden = false;
      note.focus();
      return;
    }
    try {
      await call(`/v1/alerts/${encodeURIComponent(alert.id)}/actions`, { method: "POST", body: { action: actionSelect.value, note: note.value } });
      const done = actionSelect.value;
      await rerender();
      if ($("action-result")) $("action-result").textContent = `Recorded: ${done}.`;
    } catch (err) {
      actionError.textContent = errorText(err);
      actionError.hidden = false;
    }
  });
  return form;
}

function alertHistory(alert) {
  return el(
    "ol",
    { class: "history", id: "history" },
    ...alert.history.map((h) =>
      el("li", { "data-action": h.action }, el("strong", {}, h.action), el("span", { class: "muted small" }, ` ${formatTime(h.at)} · ${h.actor}`), el("p", {}, h.note)),
    ),
  );
}

function sanctionHint(alert) {
  return alert.status === "confirmed" && alert.source_party_id
    ? el("p", { class: "card" }, "Confirmed. Circuit breaker or blacklist for the source: ", el("a", { href: `#/parties/${encodeURIComponent(alert.source_party_id)}` }, `open ${alert.source_party_id}`), ".")
    : "";
}

export async function alertView(id) {
  const [alert, allTerritories] = await Promise.all([call(`/v1/alerts/${encodeURIComponent(id)}`), territories()]);
  const traces = await tracesOf(alert.codes);
  const evidence = new Set(alert.evidence_event_ids);
  const events = await placeEvents(eventsOf(traces));
  const svg = alertMap(alert, events, evidence, allTerritories);
  const facts = alertFacts(alert);
  const form = actionForm(alert);
  const history = alertHistory(alert);
  content(
    el("p", { class: "crumbs small" }, el("a", { href: "#/alerts" }, "Alerts"), " / ", alert.id),
    el("h1", {}, alert.summary),
    el("p", { id: "action-result", role: "status", class: "ok" }),
    el("div", { class: "detail" },
      el("section", { class: "facts-box", "aria-label": "Facts" }, facts, sanctionHint(alert)),
      el("section", { "aria-labelledby": "map-title" }, el("h2", { id: "map-title" }, "Map"), mapFigure(svg, LEGEND)),
    ),
    el("section", { "aria-labelledby": "tl-title" }, el("h2", { id: "tl-title" }, "Evidence timeline"),
      alert.codes.length > MAX_TRACED_CODES ? el("p", { class: "muted small" }, `Showing the scans of the first ${MAX_TRACED_CODES} of ${alert.codes.length} codes.`) : "",
      events.length ? timeline(events, evidence) : el("p", { class: "empty" }, "No scans could be traced for the codes of this alert.")),
    el("section", { "aria-labelledby": "codes-title" }, el("h2", { id: "codes-title" }, `Codes (${alert.codes.length})`), el("ul", { class: "codes" }, ...alert.codes.map((c) => el("li", {}, codeLink(c))))),
    el("div", { class: "detail" },
      el("section", { "aria-labelledby": "actions-title" }, el("h2", { id: "actions-title" }, "Actions"), form),
      el("section", { "aria-labelledby": "history-title" }, el("h2", { id: "history-title" }, "History"), alert.history.length ? history : el("p", { class: "empty" }, "No actions yet."))),
  );
}
