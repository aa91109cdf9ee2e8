// The alerts list: counts, filters and the table (also used for a party's alerts).
import { el, errorText, formatTime } from "/ui/common/api.js";
import { $, badge, call, content, partyLink, select, showError } from "/ui/console/shared.js";

const ALERT_TYPES = ["diversion", "counterfeit", "clone", "impossible_travel", "leaked_code", "sequence", "turnover_spike"];
const STATUSES = ["open", "investigating", "escalated", "confirmed", "dismissed"];
const SEVERITIES = ["high", "medium", "low"];

function alertRows(items) {
  return items.map((a) =>
    el(
      "tr",
      { "data-alert-id": a.id },
      el("td", {}, badge(a.severity)),
      el("td", {}, a.type.replace(/_/g, " ")),
      el("td", {}, badge(a.status), a.escalation_level ? el("span", { class: "muted small" }, ` ${a.escalation_level}`) : ""),
      el("td", {}, el("a", { href: `#/alerts/${a.id}` }, a.summary)),
      el("td", {}, partyLink(a.source_party_id)),
      el("td", {}, String(a.codes.length)),
      el("td", {}, formatTime(a.created_at)),
      el("td", {}, a.evidence_due_at ? formatTime(a.evidence_due_at) : "—"),
    ),
  );
}

export function alertTable(items) {
  return el(
    "table",
    { class: "grid" },
    el("caption", { class: "sr-only" }, "Alerts, newest first"),
    el("thead", {}, el("tr", {}, ...["Severity", "Type", "Status", "Summary", "Source", "Codes", "Raised", "Evidence due"].map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, ...alertRows(items)),
  );
}

function countBox(title, map, key, order) {
  return el(
    "div",
    { class: "count-group" },
    el("h2", {}, title),
    el(
      "ul",
      { class: "counts" },
      ...(order || Object.keys(map))
        .filter((k) => map[k])
        .map((k) => el("li", {}, el("a", { href: `#/alerts?${key}=${k}` }, el("span", { class: "n" }, String(map[k])), " ", k.replace(/_/g, " ")))),
    ),
  );
}

function countSummary(counts) {
  return el(
    "section",
    { class: "summary", "aria-label": "Alert counts" },
    countBox("By status", counts.by_status, "status", STATUSES),
    countBox("By severity", counts.by_severity, "severity", SEVERITIES),
    countBox("By type", counts.by_type, "type", ALERT_TYPES),
    el("div", { class: "count-group" }, el("h2", {}, "Overdue"), el("p", {}, el("a", { href: "#/overdue", class: counts.overdue ? "overdue" : "" }, el("span", { class: "n" }, String(counts.overdue)), " past the evidence deadline"))),
  );
}

function filterForm(query, overdueOnly) {
  const form = el(
    "form",
    { class: "filters", "aria-label": "Filter alerts" },
    select("f-type", "Type", ALERT_TYPES, query.get("type")),
    select("f-status", "Status", STATUSES, query.get("status")),
    select("f-severity", "Severity", SEVERITIES, query.get("severity")),
    el("div", { class: "field" }, el("label", { for: "f-party" }, "Party id"), el("input", { id: "f-party", value: query.get("party_id") || "", autocomplete: "off" })),
    el("label", { class: "check" }, el("input", { type: "checkbox", id: "f-overdue", checked: overdueOnly || query.get("overdue") === "true" }), "Overdue only"),
    el("div", { class: "row" }, el("button", { type: "submit", class: "primary" }, "Apply"), el("a", { href: "#/alerts", class: "button secondary" }, "Reset")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const [key, id] of [["type", "f-type"], ["status", "f-status"], ["severity", "f-severity"], ["party_id", "f-party"]]) {
      const v = $(id).value.trim();
      if (v) next.set(key, v);
    }
    if ($("f-overdue").checked) next.set("overdue", "true");
    if (query.get("code")) next.set("code", query.get("code")); // from a trace's "Alerts naming this code"
    location.hash = `#/alerts${next.toString() ? `?${next}` : ""}`;
  });
  return form;
}

/** The first page of alerts and a "Load more" button that appends the next pages. */
function pagedTable(page, params) {
  const tableBox = el("div", { class: "table-box" });
  let cursor = page.next_cursor;
  const more = el("button", { type: "button", class: "secondary", hidden: !cursor }, "Load more");
  const table = alertTable(page.items);
  more.addEventListener("click", async () => {
    try {
      params.set("cursor", cursor);
      const next = await call(`/v1/alerts?${params}`);
      table.tBodies[0].append(...alertRows(next.items));
      cursor = next.next_cursor;
      more.hidden = !cursor;
    } catch (err) {
      showError(errorText(err));
    }
  });
  tableBox.append(page.items.length ? table : el("p", { class: "empty" }, "No alerts match these filters."), more);
  return tableBox;
}

export async function alertsView(query, overdueOnly) {
  const filters = ["type", "status", "severity", "party_id", "code", "overdue"];
  const params = new URLSearchParams();
  for (const f of filters) if (query.get(f)) params.set(f, query.get(f));
  params.set("limit", "50");
  const [page, counts] = await Promise.all([call(`/v1/alerts?${params}`), call("/v1/alerts/counts")]);
  const summary = countSummary(counts);
  const form = filterForm(query, overdueOnly);
  const tableBox = pagedTable(page, params);
  content(el("h1", {}, overdueOnly ? "Overdue cases" : "Alerts"), overdueOnly ? el("p", { class: "muted" }, "Investigations past their evidence deadline (7 working days after opening the investigation).") : summary, form, tableBox);
}
