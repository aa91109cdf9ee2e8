// Staff mode: the access token, its party, the checkpoint picker and the ship-to picker.
import { api, ApiError, NetworkError, el, errorText } from "/ui/common/api.js";
import {
  $, CHECKPOINT_LABELS, ME_KEY, SHIPPING, TARGETS_KEY, TOKEN_KEY, UNPACKING, showError, state,
} from "/ui/app/state.js";
import { startCamera, stopCamera } from "/ui/app/camera.js";
import { watchLocation } from "/ui/app/location.js";
import { renderPack, resetPack } from "/ui/app/scan.js";
import * as outbox from "/ui/app/outbox.js";
import { flushSoon, renderList } from "/ui/app/upload.js";

let staffStarted = false;

export async function startStaff() {
  if (!state.token) {
    $("token-form").hidden = false;
    $("staff-main").hidden = true;
    $("token-input").focus();
    return;
  }
  $("token-form").hidden = true;
  if (!staffStarted) {
    staffStarted = true;
    watchLocation();
    setInterval(() => flushSoon(), 10000);
  }
  await loadMe();
  renderList();
  flushSoon();
}

async function loadMe() {
  showError("staff-error", "");
  try {
    state.me = await api("/v1/me", { token: state.token });
    localStorage.setItem(ME_KEY, JSON.stringify({ token: state.token, me: state.me }));
  } catch (err) {
    if (!useCachedMe(err)) return;
  }
  renderMe();
  if (state.me.checkpoints.some((c) => SHIPPING.has(c))) loadTargets();
}

/** Offline, the last answer for the same token stands in; true when it did. */
function useCachedMe(err) {
  if (err instanceof NetworkError) {
    const cached = JSON.parse(localStorage.getItem(ME_KEY) || "null");
    if (cached && cached.token === state.token) {
      state.me = cached.me;
      return true;
    }
    showError("staff-error", `${err.message} Your token will be checked when the connection returns.`);
    return false;
  }
  showError("staff-error", `This token was not accepted: ${errorText(err)}`);
  if (err instanceof ApiError && err.status === 401) {
    $("token-form").hidden = false;
    $("staff-main").hidden = true;
  }
  return false;
}

function renderMe() {
  const me = state.me;
  $("staff-main").hidden = false;
  const party = me.party;
  $("who").replaceChildren(
    el("strong", {}, party ? party.name : `${me.role} token`),
    party ? el("span", { class: "muted" }, ` · ${party.kind} · ${party.id}`) : "",
    el("br"),
    el("span", { class: "muted small" }, `Token “${me.name}” (${me.role})`),
  );
  const box = $("checkpoints");
  box.replaceChildren(el("legend", {}, "Checkpoint"));
  if (!me.checkpoints.length) {
    showError("staff-error", `A ${me.role} token cannot scan at any checkpoint. Use a line or logistics token.`);
    $("scan-form").hidden = true;
    return;
  }
  $("scan-form").hidden = false;
  if (!me.checkpoints.includes(state.checkpoint)) state.checkpoint = me.checkpoints[0];
  for (const cp of me.checkpoints) box.append(checkpointRadio(cp));
  renderCheckpoint();
}

function checkpointRadio(cp) {
  const input = el("input", { type: "radio", name: "checkpoint", value: cp, id: `cp-${cp}` });
  input.checked = cp === state.checkpoint;
  input.addEventListener("change", () => {
    state.checkpoint = cp;
    resetPack();
    renderCheckpoint();
  });
  return el("label", { class: "radio", for: `cp-${cp}` }, input, " ", CHECKPOINT_LABELS[cp] || cp);
}

function renderCheckpoint() {
  const cp = state.checkpoint;
  $("ship-box").hidden = !SHIPPING.has(cp);
  $("unpack-box").hidden = !UNPACKING.has(cp);
  if (!UNPACKING.has(cp)) $("unpack").checked = false;
  renderPack();
}

async function loadTargets(query) {
  try {
    const path = `/v1/me/ship-targets?limit=1000${query ? `&q=${encodeURIComponent(query)}` : ""}`;
    const page = await api(path, { token: state.token });
    state.targets = page.items;
    state.moreTargets = Boolean(page.next_cursor);
    if (!query) localStorage.setItem(TARGETS_KEY, JSON.stringify({ token: state.token, items: page.items }));
  } catch (err) {
    const cached = JSON.parse(localStorage.getItem(TARGETS_KEY) || "null");
    if (err instanceof NetworkError && cached && cached.token === state.token) {
      state.targets = cached.items;
    } else {
      showError("staff-error", `Could not load the parties you can ship to: ${errorText(err)}`);
    }
  }
  renderTargets();
}

function renderTargets() {
  const select = $("ship-to");
  const previous = select.value;
  const filter = $("ship-filter").value.trim().toLowerCase();
  const shown = state.targets.filter((t) => !filter || t.id.toLowerCase().includes(filter) || t.name.toLowerCase().includes(filter));
  const own = state.me && state.me.party ? state.me.party.id : null;
  shown.sort((a, b) => (b.parent_id === own) - (a.parent_id === own) || a.name.localeCompare(b.name));
  select.replaceChildren(
    el("option", { value: "" }, shown.length ? "— choose who receives the goods —" : "no matching party"),
    ...shown.map((t) => el("option", { value: t.id }, `${t.name} (${t.kind}, ${t.id})${t.parent_id === own ? " ★" : ""}`)),
  );
  if (shown.some((t) => t.id === previous)) select.value = previous;
}

let filterTimer = null;
$("ship-filter").addEventListener("input", () => {
  renderTargets();
  if (state.moreTargets) {
    clearTimeout(filterTimer);
    filterTimer = setTimeout(() => loadTargets($("ship-filter").value.trim()), 300);
  }
});

$("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const token = $("token-input").value.trim();
  if (!token) {
    showError("staff-error", "Paste your access token first.");
    return;
  }
  saveToken(token);
});

function saveToken(token) {
  if (/^https?:\/\//.test(token)) {
    showError("staff-error", "That is a product code, not an access token.");
    return;
  }
  state.token = token;
  localStorage.setItem(TOKEN_KEY, token);
  $("token-input").value = "";
  startStaff();
}

$("token-camera").addEventListener("click", () => {
  startCamera((text) => {
    stopCamera();
    saveToken(text.trim());
  }, (msg) => showError("staff-error", msg));
});

$("token-forget").addEventListener("click", () => {
  // Scans still waiting keep the token they were made with, so they still upload; answered
  // ones keep none.
  outbox.dropFinishedTokens();
  localStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(ME_KEY);
  localStorage.removeItem(TARGETS_KEY);
  state.token = "";
  state.me = null;
  $("staff-main").hidden = true;
  startStaff();
});
