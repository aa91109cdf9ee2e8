// The compliance console: alerts and their cases, code traces, parties, the verification map.
import { api, ApiError, el, errorText, formatTime } from "/ui/common/api.js";
import { drawMap } from "/ui/console/map.js";

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = "sealtrace.console.token";
const ALERT_TYPES = ["diversion", "counterfeit", "clone", "impossible_travel", "leaked_code", "sequence", "turnover_spike"];
const STATUSES = ["open", "investigating", "escalated", "confirmed", "dismissed"];
const SEVERITIES = ["high", "medium", "low"];
const ACTIONS_BY_STATUS = {
  open: ["investigate", "dismiss", "comment"],
  investigating: ["escalate", "confirm", "dismiss", "comment"],
  escalated: ["escalate", "confirm", "dismiss", "comment"],
  confirmed: ["comment"],
  dismissed: ["comment"],
};
const ACTION_WORDS = {
  investigate: "Investigate (opens the evidence period)",
  escalate: "Escalate (regional manager, then headquarters)",
  confirm: "Confirm",
  dismiss: "Dismiss",
  comment: "Comment",
};
const MAX_TRACED_CODES = 10;

let token = sessionStorage.getItem(TOKEN_KEY) || "";
let territoriesCache = null;

const call = (path, options = {}) => api(path, { ...options, token });

function showError(message) {
  $("error").textContent = message || "";
  $("error").hidden = !message;
}

function content(...children) {
  $("content").replaceChildren(...children);
}

const badge = (text, cls) => el("span", { class: `badge ${cls || text}` }, text.replace(/_/g, " "));
const partyLink = (id) => (id ? el("a", { href: `#/parties/${encodeURIComponent(id)}` }, id) : "—");
const codeLink = (code) => el("a", { href: `#/trace/${encodeURIComponent(code)}`, class: "mono" }, code);

function select(id, label, options, value) {
  const sel = el("select", { id, name: id }, el("option", { value: "" }, "any"), ...options.map((o) => el("option", { value: o }, o.replace(/_/g, " "))));
  sel.value = value || "";
  return el("div", { class: "field" }, el("label", { for: id }, label), sel);
}

async function territories() {
  if (!territoriesCache) {
    const items = [];
    let cursor = null;
    do {
      const page = await call(`/v1/territories?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      items.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor && items.length < 20000);
    territoriesCache = items;
  }
  return territoriesCache;
}

// ------------------------------------------------------------------ sign in / out

async function signIn(candidate) {
  const me = await api("/v1/me", { token: candidate });
  if (!["compliance", "admin"].includes(me.role)) {
    throw new Error(`A ${me.role} token cannot use the compliance console; sign in with a compliance token.`);
  }
  token = candidate;
  sessionStorage.setItem(TOKEN_KEY, token);
  $("signed-in").textContent = `Signed in: ${me.name} (${me.role})`;
  return me;
}

function showSignIn() {
  $("signin").hidden = false;
  $("nav").hidden = true;
  $("session").hidden = true;
  content();
  $("signin-token").focus();
}

$("signin-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  showError("");
  const candidate = $("signin-token").value.trim();
  if (!candidate) return showError("Paste your compliance token first.");
  try {
    await signIn(candidate);
    $("signin-token").value = "";
    if (!location.hash || location.hash === "#/") location.hash = "#/alerts";
    else route();
  } catch (err) {
    showError(err instanceof Error && !(err instanceof ApiError) && !err.name.endsWith("NetworkError") ? err.message : `Sign-in failed: ${errorText(err)}`);
  }
});

$("sign-out").addEventListener("click", () => {
  sessionStorage.removeItem(TOKEN_KEY);
  token = "";
  territoriesCache = null;
  showSignIn();
});

// ------------------------------------------------------------------ router

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, "");
  const [pathPart, queryPart] = raw.split("?");
  const segments = pathPart.split("/").filter(Boolean).map(decodeURIComponent);
  return { segments, query: new URLSearchParams(queryPart || "") };
}

async function route() {
  if (!token) return showSignIn();
  $("signin").hidden = true;
  $("nav").hidden = false;
  $("session").hidden = false;
  showError("");
  const { segments, query } = parseHash();
  const [view, id] = segments;
  for (const a of document.querySelectorAll("[data-nav]")) {
    if (a.dataset.nav === (view || "alerts")) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  content(el("p", { class: "muted" }, "Loading…"));
  try {
    if (view === "alerts" && id) await alertView(id);
    else if (view === "overdue") await alertsView(new URLSearchParams("overdue=true"), true);
    else if (view === "trace") await traceView(id);
    else if (view === "parties" && id) await partyView(id);
    else if (view === "parties") await partiesView(query);
    else if (view === "heatmap") await heatmapView(query);
    else await alertsView(query, false);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      token = "";
      showSignIn();
      showError(`Your session ended: ${errorText(err)}`);
      return;
    }
    content();
    showError(errorText(err));
  }
  const heading = $("content").querySelector("h1");
  if (heading) heading.setAttribute("tabindex", "-1"), heading.focus({ preventScroll: true });
}

window.addEventListener("hashchange", route);

// ------------------------------------------------------------------ alerts list

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

function alertTable(items) {
  return el(
    "table",
    { class: "grid" },
    el("caption", { class: "sr-only" }, "Alerts, newest first"),
    el("thead", {}, el("tr", {}, ...["Severity", "Type", "Status", "Summary", "Source", "Codes", "Raised", "Evidence due"].map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, ...alertRows(items)),
  );
}

async function alertsView(query, overdueOnly) {
  const filters = ["type", "status", "severity", "party_id", "overdue"];
  const params = new URLSearchParams();
  for (const f of filters) if (query.get(f)) params.set(f, query.get(f));
  params.set("limit", "50");
  const [page, counts] = await Promise.all([call(`/v1/alerts?${params}`), call("/v1/alerts/counts")]);

  const countBox = (title, map, key, order) =>
    el(
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
  const summary = el(
    "section",
    { class: "summary", "aria-label": "Alert counts" },
    countBox("By status", counts.by_status, "status", STATUSES),
    countBox("By severity", counts.by_severity, "severity", SEVERITIES),
    countBox("By type", counts.by_type, "type", ALERT_TYPES),
    el("div", { class: "count-group" }, el("h2", {}, "Overdue"), el("p", {}, el("a", { href: "#/overdue", class: counts.overdue ? "overdue" : "" }, el("span", { class: "n" }, String(counts.overdue)), " past the evidence deadline"))),
  );

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
    location.hash = `#/alerts${next.toString() ? `?${next}` : ""}`;
  });

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
  content(el("h1", {}, overdueOnly ? "Overdue cases" : "Alerts"), overdueOnly ? el("p", { class: "muted" }, "Investigations past their evidence deadline (7 working days after opening the investigation).") : summary, form, tableBox);
}

// ------------------------------------------------------------------ alert detail

async function tracesOf(codes) {
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

function eventsOf(traces) {
  const seen = new Map();
  for (const t of traces) for (const e of t.events) if (!seen.has(e.event_id)) seen.set(e.event_id, { ...e, code: t.code });
  return [...seen.values()].sort((a, b) => a.scanned_at.localeCompare(b.scanned_at));
}

/** Scans without a GPS fix are placed at the scanning party's registered location. */
async function placeEvents(events) {
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

function eventPoints(events, evidence) {
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

function timeline(events, evidence) {
  let n = 0;
  return el(
    "table",
    { class: "grid timeline" },
    el("caption", { class: "sr-only" }, "Evidence timeline, in scan order"),
    el("thead", {}, el("tr", {}, ...["#", "Scanned", "Checkpoint", "Party", "To", "Location", "Verdict", "Code"].map((h) => el("th", { scope: "col" }, h)))),
    el(
      "tbody",
      {},
      ...events.map((e) =>
        el(
          "tr",
          { class: evidence.has(e.event_id) ? "evidence" : "", "data-event-id": e.event_id },
          el("td", {}, e.location ? String(++n) : ""),
          el("td", {}, formatTime(e.scanned_at), evidence.has(e.event_id) ? el("span", { class: "badge high" }, "evidence") : ""),
          el("td", {}, e.checkpoint.replace(/_/g, " "), e.via ? el("span", { class: "muted small" }, ` via ${e.via}`) : ""),
          el("td", {}, e.party_id ? partyLink(e.party_id) : "consumer"),
          el("td", {}, e.to_party_id ? partyLink(e.to_party_id) : ""),
          el("td", { class: "small" }, e.location ? `${e.location.lat.toFixed(4)}, ${e.location.lon.toFixed(4)}${e.registered ? " (registered, no GPS)" : e.location.accuracy_m ? ` ±${Math.round(e.location.accuracy_m)} m` : ""}` : "—"),
          el("td", {}, badge(e.verdict)),
          el("td", { class: "small" }, codeLink(e.code)),
        ),
      ),
    ),
  );
}

function mapFigure(svg, caption) {
  return el("figure", { class: "map-box" }, svg, el("figcaption", { class: "legend small" }, ...caption));
}

const LEGEND = [
  el("span", { class: "key expected" }, "expected territory"),
  el("span", { class: "key territory" }, "other territory"),
  el("span", { class: "key evidence" }, "evidence scan"),
  el("span", { class: "key scan" }, "other scan"),
  el("span", { class: "key registered" }, "no GPS: party's registered location"),
  el("span", { class: "key accuracy" }, "GPS accuracy"),
  el("span", { class: "key custody" }, "custody path (scan order)"),
];

async function alertView(id) {
  const [alert, allTerritories] = await Promise.all([call(`/v1/alerts/${encodeURIComponent(id)}`), territories()]);
  const traces = await tracesOf(alert.codes);
  const evidence = new Set(alert.evidence_event_ids);
  const events = await placeEvents(eventsOf(traces));
  const points = eventPoints(events, evidence);
  if (alert.observed_location && !events.some((e) => e.location && evidence.has(e.event_id))) {
    points.push({ ...alert.observed_location, cls: "evidence observed", label: "observed location" });
  }
  const svg = drawMap({
    territories: allTerritories,
    highlight: new Set(alert.expected_territory_ids),
    points,
    path: events.filter((e) => e.location && e.verdict !== "counterfeit" && e.checkpoint !== "consumer_verify").map((e) => e.location),
    title: `Map of alert ${alert.summary}: expected territories, scans and custody path`,
  });
  const overdue = alert.evidence_due_at && ["investigating", "escalated"].includes(alert.status) && new Date(alert.evidence_due_at) < new Date();
  const facts = el(
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
    el("dt", {}, "Penalty"), el("dd", { id: "penalty" }, alert.penalty ? el("strong", {}, `${alert.penalty.amount} ${alert.penalty.currency}`) : "—"),
  );

  const actionSelect = el("select", { id: "action", name: "action", required: true }, ...(ACTIONS_BY_STATUS[alert.status] || ["comment"]).map((a) => el("option", { value: a }, ACTION_WORDS[a])));
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
      await route();
      if ($("action-result")) $("action-result").textContent = `Recorded: ${done}.`;
    } catch (err) {
      actionError.textContent = errorText(err);
      actionError.hidden = false;
    }
  });

  const history = el(
    "ol",
    { class: "history", id: "history" },
    ...alert.history.map((h) =>
      el("li", { "data-action": h.action }, el("strong", {}, h.action), el("span", { class: "muted small" }, ` ${formatTime(h.at)} · ${h.actor}`), el("p", {}, h.note)),
    ),
  );
  const sanctionHint =
    alert.status === "confirmed" && alert.source_party_id
      ? el("p", { class: "card" }, "Confirmed. Circuit breaker or blacklist for the source: ", el("a", { href: `#/parties/${encodeURIComponent(alert.source_party_id)}` }, `open ${alert.source_party_id}`), ".")
      : "";

  content(
    el("p", { class: "crumbs small" }, el("a", { href: "#/alerts" }, "Alerts"), " / ", alert.id),
    el("h1", {}, alert.summary),
    el("p", { id: "action-result", role: "status", class: "ok" }),
    el("div", { class: "detail" },
      el("section", { class: "facts-box", "aria-label": "Facts" }, facts, sanctionHint),
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

// ------------------------------------------------------------------ trace

async function traceView(code) {
  const input = el("input", { id: "trace-code", value: code || "", autocomplete: "off", spellcheck: "false" });
  const form = el("form", { class: "row trace-form" }, el("label", { for: "trace-code" }, "Code or payload"), input, el("button", { type: "submit", class: "primary" }, "Trace"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const v = input.value.trim();
    if (v) location.hash = `#/trace/${encodeURIComponent(v)}`;
  });
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
    path: events.filter((e) => e.location && e.verdict !== "counterfeit" && e.checkpoint !== "consumer_verify").map((e) => e.location),
    title: `Map of the scans of ${trace.code}`,
  });
  const custody = el("ol", { class: "custody-chain" }, ...trace.custodians.map((p) => el("li", {}, partyLink(p))));
  content(
    el("h1", {}, "Code trace"),
    form,
    el("div", { class: "detail" },
      el("section", { "aria-label": "Code" },
        el("dl", { class: "facts" },
          el("dt", {}, "Code"), el("dd", { class: "mono" }, trace.code),
          el("dt", {}, "Level"), el("dd", {}, trace.level),
          el("dt", {}, "GTIN / lot"), el("dd", { class: "mono" }, `${trace.gtin} / ${trace.lot}`),
          el("dt", {}, "Status"), el("dd", {}, badge(trace.status)),
          el("dt", {}, "Inside"), el("dd", {}, trace.parent ? codeLink(trace.parent) : "—"),
          el("dt", {}, "Contains"), el("dd", {}, String(trace.children_count)),
        ),
        el("h2", {}, "Custody chain"), trace.custodians.length ? custody : el("p", { class: "empty" }, "Nobody yet."),
        el("p", {}, el("a", { href: `#/alerts?code=${encodeURIComponent(trace.code)}` }, "Alerts naming this code"))),
      el("section", { "aria-label": "Map" }, mapFigure(svg, LEGEND.slice(1)))),
    el("h2", {}, "Events"),
    events.length ? timeline(events, new Set()) : el("p", { class: "empty" }, "No scans yet."),
  );
}

// ------------------------------------------------------------------ parties

async function partiesView(query) {
  const kind = query.get("kind") || "";
  const page = await call(`/v1/parties?limit=1000${kind ? `&kind=${kind}` : ""}`);
  const filter = el("input", { id: "party-filter", type: "search", autocomplete: "off" });
  const rows = page.items.map((p) =>
    el("tr", { "data-text": `${p.id} ${p.name}`.toLowerCase() },
      el("td", {}, partyLink(p.id)), el("td", {}, p.name), el("td", {}, p.kind), el("td", {}, p.parent_id || ""),
      el("td", {}, p.blacklisted ? badge("blacklisted", "high") : p.suspended ? badge("suspended", "medium") : "")));
  filter.addEventListener("input", () => {
    const q = filter.value.trim().toLowerCase();
    for (const r of rows) r.hidden = Boolean(q) && !r.dataset.text.includes(q);
  });
  content(
    el("h1", {}, "Parties"),
    el("div", { class: "field narrow" }, el("label", { for: "party-filter" }, "Filter by id or name"), filter),
    el("table", { class: "grid" }, el("thead", {}, el("tr", {}, ...["Id", "Name", "Kind", "Parent", "Sanctions"].map((h) => el("th", { scope: "col" }, h)))), el("tbody", {}, ...rows)),
    page.next_cursor ? el("p", { class: "muted small" }, "Only the first 1000 parties are listed.") : "",
  );
}

async function partyView(id) {
  const enc = encodeURIComponent(id);
  const [party, sanctions, auths, alerts, allTerritories] = await Promise.all([
    call(`/v1/parties/${enc}`),
    call(`/v1/parties/${enc}/sanctions?limit=100`),
    call(`/v1/parties/${enc}/territories?limit=1000`),
    call(`/v1/alerts?party_id=${enc}&limit=100`),
    territories(),
  ]);
  const own = new Set(auths.items.map((a) => a.territory_id));
  const svg = drawMap({
    territories: allTerritories,
    highlight: own,
    points: [{ lat: party.location.lat, lon: party.location.lon, cls: "evidence", label: `${party.name} (registered location)` }],
    title: `Territories of ${party.name}`,
  });
  const reason = el("input", { id: "sanction-reason", autocomplete: "off" });
  const sanctionError = el("p", { class: "error", role: "alert", hidden: true });
  const act = async (method, path, needsReason) => {
    sanctionError.hidden = true;
    if (needsReason && !reason.value.trim()) {
      sanctionError.textContent = "Give a reason: it is kept in the party's sanction log.";
      sanctionError.hidden = false;
      reason.focus();
      return;
    }
    try {
      await call(`/v1/parties/${enc}/${path}`, { method, body: needsReason ? { reason: reason.value.trim() } : undefined });
      await route();
    } catch (err) {
      sanctionError.textContent = errorText(err);
      sanctionError.hidden = false;
    }
  };
  const buttons = el(
    "div",
    { class: "row" },
    party.suspended
      ? el("button", { type: "button", class: "secondary", id: "lift", onclick: () => act("DELETE", "suspension", false) }, "Lift suspension")
      : el("button", { type: "button", class: "danger", id: "suspend", onclick: () => act("POST", "suspension", true) }, "Suspend (circuit breaker)"),
    party.blacklisted ? "" : el("button", { type: "button", class: "danger", id: "blacklist", onclick: () => act("POST", "blacklist", true) }, "Blacklist"),
  );
  content(
    el("p", { class: "crumbs small" }, el("a", { href: "#/parties" }, "Parties"), " / ", party.id),
    el("h1", {}, party.name),
    el("div", { class: "detail" },
      el("section", { "aria-label": "Party" },
        el("dl", { class: "facts" },
          el("dt", {}, "Id"), el("dd", { class: "mono" }, party.id),
          el("dt", {}, "Kind"), el("dd", {}, party.kind),
          el("dt", {}, "Parent"), el("dd", {}, partyLink(party.parent_id)),
          el("dt", {}, "Location"), el("dd", {}, `${party.location.lat}, ${party.location.lon}`),
          el("dt", {}, "Suspended"), el("dd", { id: "suspended" }, party.suspended ? `yes, since ${formatTime(party.suspended_at)}: ${party.suspension_reason || ""}` : "no"),
          el("dt", {}, "Blacklisted"), el("dd", { id: "blacklisted" }, party.blacklisted ? `yes, since ${formatTime(party.blacklisted_at)}: ${party.blacklist_reason || ""}` : "no"),
          el("dt", {}, "Territories"), el("dd", {}, [...own].join(", ") || "none"),
        ),
        el("h2", {}, "Sanctions"),
        el("div", { class: "stack" }, el("label", { for: "sanction-reason" }, "Reason"), reason, sanctionError, buttons),
        sanctions.items.length
          ? el("ol", { class: "history" }, ...sanctions.items.map((x) => el("li", {}, el("strong", {}, x.action), el("span", { class: "muted small" }, ` ${formatTime(x.at)} · ${x.actor}`), x.reason ? el("p", {}, x.reason) : "")))
          : el("p", { class: "empty" }, "No sanctions.")),
      el("section", { "aria-label": "Map" }, mapFigure(svg, [el("span", { class: "key expected" }, "its territories"), el("span", { class: "key evidence" }, "registered location")]))),
    el("h2", {}, "Alerts naming this party"),
    alerts.items.length ? alertTable(alerts.items) : el("p", { class: "empty" }, "None."),
  );
}

// ------------------------------------------------------------------ heat map

async function heatmapView(query) {
  const days = Number(query.get("days") || "30");
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
    top.length
      ? el("table", { class: "grid" }, el("thead", {}, el("tr", {}, ...["Centre", "Checks", "Genuine", "Suspicious", "Counterfeit"].map((h) => el("th", { scope: "col" }, h)))),
          el("tbody", {}, ...top.map((c) => el("tr", {}, el("td", {}, `${c.lat.toFixed(2)}, ${c.lon.toFixed(2)}`), el("td", {}, String(c.count)), el("td", {}, String(c.genuine)), el("td", {}, String(c.suspicious)), el("td", {}, String(c.counterfeit))))))
      : el("p", { class: "empty" }, "No consumer verifications with a location in this period."),
  );
}

if (token) {
  signIn(token).catch((err) => {
    if (err instanceof ApiError && err.status === 401) $("sign-out").click();
  });
}
route();
window.sealtraceReady = true;
