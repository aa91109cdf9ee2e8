// Parties: the filterable list, and one party with its territories, sanctions and alerts.
import { el, errorText, formatTime } from "/ui/common/api.js";
import { drawMap } from "/ui/console/map.js";
import { badge, call, content, mapFigure, partyLink, rerender, territories } from "/ui/console/shared.js";
import { alertTable } from "/ui/console/alerts.js";

export async function partiesView(query) {
  const kind = query.get("kind") || "";
  const page = await call(`/v1/parties?limit=1000${kind ? `&kind=${encodeURIComponent(kind)}` : ""}`);
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

/** The reason box, its error line and the suspend / lift / blacklist buttons. */
function sanctionControls(party, enc) {
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
      await rerender();
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
  return el("div", { class: "stack" }, el("label", { for: "sanction-reason" }, "Reason"), reason, sanctionError, buttons);
}

function partyFacts(party, own) {
  return el("dl", { class: "facts" },
    el("dt", {}, "Id"), el("dd", { class: "mono" }, party.id),
    el("dt", {}, "Kind"), el("dd", {}, party.kind),
    el("dt", {}, "Parent"), el("dd", {}, partyLink(party.parent_id)),
    el("dt", {}, "Location"), el("dd", {}, `${party.location.lat}, ${party.location.lon}`),
    el("dt", {}, "Suspended"), el("dd", { id: "suspended" }, party.suspended ? `yes, since ${formatTime(party.suspended_at)}: ${party.suspension_reason || ""}` : "no"),
    el("dt", {}, "Blacklisted"), el("dd", { id: "blacklisted" }, party.blacklisted ? `yes, since ${formatTime(party.blacklisted_at)}: ${party.blacklist_reason || ""}` : "no"),
    el("dt", {}, "Territories"), el("dd", {}, [...own].join(", ") || "none"),
  );
}

function sanctionLog(sanctions) {
  return sanctions.items.length
    ? el("ol", { class: "history" }, ...sanctions.items.map((x) => el("li", {}, el("strong", {}, x.action), el("span", { class: "muted small" }, ` ${formatTime(x.at)} · ${x.actor}`), x.reason ? el("p", {}, x.reason) : "")))
    : el("p", { class: "empty" }, "No sanctions.");
}

export async function partyView(id) {
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
  content(
    el("p", { class: "crumbs small" }, el("a", { href: "#/parties" }, "Parties"), " / ", party.id),
    el("h1", {}, party.name),
    el("div", { class: "detail" },
      el("section", { "aria-label": "Party" }, partyFacts(party, own), el("h2", {}, "Sanctions"), sanctionControls(party, enc), sanctionLog(sanctions)),
      el("section", { "aria-label": "Map" }, mapFigure(svg, [el("span", { class: "key expected" }, "its territories"), el("span", { class: "key evidence" }, "registered location")]))),
    el("h2", {}, "Alerts naming this party"),
    alerts.items.length ? alertTable(alerts.items) : el("p", { class: "empty" }, "None."),
  );
}
