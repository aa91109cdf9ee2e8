// The compliance console: alerts and their cases, code traces, parties, the verification map.
// This module signs in and routes; the views are in alerts.js, alert-detail.js, trace.js,
// parties.js and heatmap.js (shared helpers: shared.js, events.js, map.js).
import { api, ApiError, el, errorText } from "/ui/common/api.js";
import { $, TOKEN_KEY, content, forgetTerritories, session, setRouter, showError } from "/ui/console/shared.js";
import { alertsView } from "/ui/console/alerts.js";
import { alertView } from "/ui/console/alert-detail.js";
import { traceView } from "/ui/console/trace.js";
import { partiesView, partyView } from "/ui/console/parties.js";
import { heatmapView } from "/ui/console/heatmap.js";

// ------------------------------------------------------------------ sign in / out

async function signIn(candidate) {
  const me = await api("/v1/me", { token: candidate });
  if (!["compliance", "admin"].includes(me.role)) {
    throw new Error(`A ${me.role} token cannot use the compliance console; sign in with a compliance token.`);
  }
  session.token = candidate;
  sessionStorage.setItem(TOKEN_KEY, session.token);
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
  session.token = "";
  forgetTerritories();
  showSignIn();
});

// ------------------------------------------------------------------ router

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, "");
  const [pathPart, queryPart] = raw.split("?");
  const segments = pathPart.split("/").filter(Boolean).map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s; // a malformed escape: shown as typed (the view says it is not found)
    }
  });
  return { segments, query: new URLSearchParams(queryPart || "") };
}

function markNav(view) {
  for (const a of document.querySelectorAll("[data-nav]")) {
    if (a.dataset.nav === (view || "alerts")) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

function showView(view, id, query) {
  if (view === "alerts" && id) return alertView(id);
  if (view === "overdue") return alertsView(new URLSearchParams("overdue=true"), true);
  if (view === "trace") return traceView(id);
  if (view === "parties" && id) return partyView(id);
  if (view === "parties") return partiesView(query);
  if (view === "heatmap") return heatmapView(query);
  return alertsView(query, false);
}

async function route() {
  if (!session.token) return showSignIn();
  $("signin").hidden = true;
  $("nav").hidden = false;
  $("session").hidden = false;
  showError("");
  const { segments, query } = parseHash();
  const [view, id] = segments;
  markNav(view);
  content(el("p", { class: "muted" }, "Loading…"));
  try {
    await showView(view, id, query);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      session.token = "";
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

setRouter(route);
window.addEventListener("hashchange", route);
// The skip link must not change the hash: the router would read "#view" as a page.
document.querySelector("a.skip").addEventListener("click", (event) => {
  event.preventDefault();
  $("view").focus();
});

if (session.token) {
  signIn(session.token).catch((err) => {
    if (err instanceof ApiError && err.status === 401) $("sign-out").click();
  });
}
route();
window.sealtraceReady = true;
