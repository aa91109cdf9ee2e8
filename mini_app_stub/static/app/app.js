// The mini-app: consumer verification and staff checkpoint scanning (offline-first).
import { api, ApiError, NetworkError, el, errorText, formatTime, uuid4 } from "/ui/common/api.js";
import { parsePayload, verifyBrandOffline } from "/ui/app/payload.js";
import { Scanner } from "/ui/app/scanner.js";
import * as outbox from "/ui/app/outbox.js";

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = "sealtrace.staff.token";
const ME_KEY = "sealtrace.staff.me";
const TARGETS_KEY = "sealtrace.staff.targets";
const CONSUMER_KEY = "sealtrace.consumer.id";
const MODE_KEY = "sealtrace.mode";
const FIX_MAX_AGE_MS = 5 * 60 * 1000;
const SAME_CODE_QUIET_MS = 3000;

const CHECKPOINT_LABELS = {
  commission: "Commission — code applied to a product",
  pack: "Pack — items into a case or pallet",
  warehouse_in: "Warehouse in — stored at the plant",
  ship: "Ship — leaves the plant",
  dealer_receive: "Receive — arrived at the dealer",
  dealer_ship: "Ship on — to a sub-dealer or store",
  retail_receive: "Receive — arrived at the store",
  retail_sell: "Sell — sold to a consumer",
};
const SHIPPING = new Set(["ship", "dealer_ship"]);
const UNPACKING = new Set(["pack", "dealer_receive", "retail_receive"]);
const VERDICT_WORDS = { genuine: "Genuine", suspicious: "Suspicious", counterfeit: "Counterfeit" };
const LOYALTY_WORDS = {
  not_genuine: "points are only paid for genuine products",
  not_an_item: "points are paid for single items, not cases or pallets",
  no_consumer: "no device id was sent",
  already_claimed: "the points for this code were already paid",
  not_first_verification: "someone checked this code before you",
  inner_code_required: "this product needs the inner code from under the cap",
  inner_code_wrong: "the inner code does not match",
  daily_limit: "you reached today's limit of point claims",
  too_many_regions: "claims from too many regions",
};
const BRAND_WORDS = {
  malformed: "not a Sealtrace code",
  unknown_kid: "signed with a key the brand never published",
  revoked_key: "signed with a revoked brand key",
  bad_signature: "the brand signature does not match",
  unavailable: "could not be checked on this phone",
};

const state = {
  token: localStorage.getItem(TOKEN_KEY) || "",
  me: null,
  checkpoint: null,
  targets: [],
  fix: null,
  fixError: null,
  pack: { container: null, children: [] },
  lastSeen: { text: "", at: 0 },
  onDecoded: null,
};

// ------------------------------------------------------------------ shared: net, camera

function renderNet() {
  $("net").textContent = navigator.onLine ? "Online" : "Offline — scans are kept on this phone";
  $("net").classList.toggle("offline", !navigator.onLine);
}

const scanner = new Scanner($("video"), (text) => state.onDecoded && state.onDecoded(text), (msg) => {
  $("camera-status").textContent = msg;
});

async function startCamera(onDecoded, showError) {
  state.onDecoded = onDecoded;
  $("camera").hidden = false;
  $("camera-status").textContent = "Starting the camera…";
  try {
    await scanner.start();
  } catch (err) {
    stopCamera();
    showError(err.message);
  }
}

function stopCamera() {
  scanner.stop();
  state.onDecoded = null;
  $("camera").hidden = true;
}

$("camera-stop").addEventListener("click", stopCamera);

function showError(id, message) {
  const node = $(id);
  node.textContent = message || "";
  node.hidden = !message;
}

// ------------------------------------------------------------------ modes

function setMode(mode) {
  localStorage.setItem(MODE_KEY, mode);
  stopCamera();
  $("consumer").hidden = mode !== "consumer";
  $("staff").hidden = mode !== "staff";
  $("mode-consumer").setAttribute("aria-pressed", String(mode === "consumer"));
  $("mode-staff").setAttribute("aria-pressed", String(mode === "staff"));
  if (mode === "staff") startStaff();
}

$("mode-consumer").addEventListener("click", () => setMode("consumer"));
$("mode-staff").addEventListener("click", () => setMode("staff"));

// ------------------------------------------------------------------ location

function currentFix(timeoutMs) {
  return new Promise((resolve) => {
    if (!navigator.geolocation) return resolve(null);
    navigator.geolocation.getCurrentPosition(
      (pos) => resolve(fixOf(pos)),
      () => resolve(null),
      { enableHighAccuracy: true, maximumAge: 60000, timeout: timeoutMs },
    );
  });
}

function fixOf(pos) {
  return {
    lat: pos.coords.latitude,
    lon: pos.coords.longitude,
    accuracy_m: Math.round(pos.coords.accuracy * 10) / 10,
    at: pos.timestamp || Date.now(),
  };
}

let watchId = null;
function watchLocation() {
  if (watchId !== null) return;
  if (!navigator.geolocation) {
    state.fixError = "this browser has no geolocation";
    renderGps();
    return;
  }
  watchId = navigator.geolocation.watchPosition(
    (pos) => {
      state.fix = fixOf(pos);
      state.fixError = null;
      renderGps();
    },
    (err) => {
      state.fixError = err.message || "permission refused";
      renderGps();
    },
    { enableHighAccuracy: true, maximumAge: 10000, timeout: 30000 },
  );
}

function freshFix() {
  return state.fix && Date.now() - state.fix.at < FIX_MAX_AGE_MS ? state.fix : null;
}

function renderGps() {
  const fix = freshFix();
  const node = $("gps");
  if (fix) {
    node.textContent = `Location: ${fix.lat.toFixed(5)}, ${fix.lon.toFixed(5)} ±${Math.round(fix.accuracy_m)} m`;
    node.classList.remove("warn");
  } else {
    node.textContent = state.fixError
      ? `Location unavailable (${state.fixError}). Scans are sent without GPS; the service uses your site's registered location.`
      : "Location: waiting for GPS…";
    node.classList.toggle("warn", Boolean(state.fixError));
  }
}

// ------------------------------------------------------------------ consumer mode

function consumerId() {
  let id = localStorage.getItem(CONSUMER_KEY);
  if (!id) {
    id = "c-" + uuid4().replace(/-/g, "");
    localStorage.setItem(CONSUMER_KEY, id);
  }
  return id;
}

async function verify(payload) {
  showError("verify-error", "");
  const card = $("verdict");
  card.hidden = false;
  card.className = "card verdict pending";
  card.replaceChildren(el("p", { text: "Checking the brand signature on this phone…" }));
  const brandPromise = verifyBrandOffline(payload);
  const fixPromise = $("verify-geo").checked ? currentFix(4000) : Promise.resolve(null);
  const brand = await brandPromise; // the offline layer is decided before the service answers
  card.replaceChildren(brandLine(brand), el("p", { text: "Asking the Sealtrace service…" }));
  const fix = await fixPromise;
  const body = { payload, consumer_id: consumerId() };
  if (fix) body.location = { lat: fix.lat, lon: fix.lon, accuracy_m: fix.accuracy_m };
  const pin = $("verify-pin").value.trim();
  if (pin) body.pin = pin;
  let server = null;
  let failure = null;
  try {
    server = await api("/v1/verify", { method: "POST", body });
  } catch (err) {
    failure = err;
  }
  renderVerdict(brand, server, failure);
}

function brandLine(brand) {
  if (brand.ok) {
    return el("p", { class: "brand-check ok", "data-brand": "valid" }, `Brand signature checked on this phone: valid (key ${brand.kid}).`);
  }
  return el(
    "p",
    { class: "brand-check bad", "data-brand": brand.reason },
    `Brand signature checked on this phone: ${brand.reason === "unavailable" ? "not checked" : "NOT valid"} — ${brand.detail || BRAND_WORDS[brand.reason]}.`,
  );
}

function disagreement(brand, server) {
  if (!server || brand.reason === "unavailable") return null;
  const brandFails = !brand.ok;
  const serverRejectsSignature = server.verdict === "counterfeit" && ["bad_signature", "malformed_payload", "revoked_key"].includes(server.reason);
  if (brandFails && server.verdict !== "counterfeit") {
    return "This phone and the service disagree: the brand signature does not check out here, but the service accepted the code. Do not trust this product until you have asked the brand.";
  }
  if (!brandFails && serverRejectsSignature) {
    return `This phone and the service disagree: the brand signature is valid, but the service rejected the code (${server.reason}). Its hidden seals do not match: the code may have been made with a stolen brand key.`;
  }
  return null;
}

function renderVerdict(brand, server, failure) {
  const card = $("verdict");
  const parts = [];
  let verdict;
  if (server) {
    verdict = server.verdict;
  } else {
    verdict = brand.ok ? "unconfirmed" : brand.reason === "unavailable" ? "unknown" : "counterfeit";
  }
  card.className = `card verdict verdict-${verdict}`;
  card.dataset.verdict = verdict;
  const title = server
    ? VERDICT_WORDS[verdict]
    : verdict === "counterfeit"
      ? "Counterfeit (checked on this phone only)"
      : verdict === "unconfirmed"
        ? "Signature valid — not yet confirmed online"
        : "Could not check";
  parts.push(el("h3", { class: "verdict-title" }, title));
  if (server) {
    if (server.reason) parts.push(el("p", { class: "reason" }, `Reason: ${server.reason.replace(/_/g, " ")}`));
    if (server.product) {
      const p = server.product;
      parts.push(
        el(
          "dl",
          { class: "facts" },
          el("dt", {}, "Product"), el("dd", {}, p.name || "—"),
          el("dt", {}, "GTIN"), el("dd", { class: "mono" }, p.gtin),
          el("dt", {}, "Lot"), el("dd", { class: "mono" }, p.lot),
          el("dt", {}, "Expiry"), el("dd", {}, p.expiry || "none printed"),
        ),
      );
    }
    parts.push(el("p", { class: "message" }, server.message));
    const points = server.points_awarded || 0;
    parts.push(
      points > 0
        ? el("p", { class: "points earned", "data-points": points }, `You earned ${points} points.`)
        : el("p", { class: "points", "data-points": 0 }, `No points this time${server.loyalty_reason ? `: ${LOYALTY_WORDS[server.loyalty_reason] || server.loyalty_reason}` : ""}.`),
    );
  } else if (failure) {
    const offline = failure instanceof NetworkError;
    parts.push(
      el(
        "p",
        { class: "error", role: "alert" },
        offline
          ? "No connection: only the brand signature could be checked on this phone. The full check (hidden seals, registry, copies) needs a connection — try again when you are online."
          : `The service could not check the code: ${errorText(failure)}`,
      ),
    );
  }
  parts.push(brandLine(brand));
  const conflict = disagreement(brand, server);
  if (conflict) parts.push(el("p", { class: "disagree", role: "alert" }, conflict));
  card.replaceChildren(...parts);
  card.focus();
}

$("verify-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const payload = $("verify-payload").value.trim();
  if (!payload) {
    showError("verify-error", "Paste the code text first, or scan the code with the camera.");
    $("verify-payload").focus();
    return;
  }
  verify(payload).catch((err) => showError("verify-error", errorText(err)));
});

$("verify-camera").addEventListener("click", () => {
  showError("verify-error", "");
  startCamera((text) => {
    stopCamera();
    $("verify-payload").value = text;
    verify(text).catch((err) => showError("verify-error", errorText(err)));
  }, (msg) => showError("verify-error", msg));
});

// ------------------------------------------------------------------ staff mode: token and party

let staffStarted = false;

async function startStaff() {
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
    if (err instanceof NetworkError) {
      const cached = JSON.parse(localStorage.getItem(ME_KEY) || "null");
      if (cached && cached.token === state.token) {
        state.me = cached.me;
      } else {
        showError("staff-error", `${err.message} Your token will be checked when the connection returns.`);
        return;
      }
    } else {
      showError("staff-error", `This token was not accepted: ${errorText(err)}`);
      if (err instanceof ApiError && err.status === 401) {
        $("token-form").hidden = false;
        $("staff-main").hidden = true;
      }
      return;
    }
  }
  renderMe();
  if (state.me.checkpoints.some((c) => SHIPPING.has(c))) loadTargets();
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
  for (const cp of me.checkpoints) {
    const input = el("input", { type: "radio", name: "checkpoint", value: cp, id: `cp-${cp}` });
    input.checked = cp === state.checkpoint;
    input.addEventListener("change", () => {
      state.checkpoint = cp;
      resetPack();
      renderCheckpoint();
    });
    box.append(el("label", { class: "radio", for: `cp-${cp}` }, input, " ", CHECKPOINT_LABELS[cp] || cp));
  }
  renderCheckpoint();
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
  // Scans still waiting keep the token they were made with, so they still upload.
  localStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(ME_KEY);
  localStorage.removeItem(TARGETS_KEY);
  state.token = "";
  state.me = null;
  $("staff-main").hidden = true;
  startStaff();
});

// ------------------------------------------------------------------ staff mode: scanning

function resetPack() {
  state.pack = { container: null, children: [] };
  renderPack();
}

function packing() {
  return state.checkpoint === "pack" && !$("unpack").checked;
}

function renderPack() {
  const box = $("pack-box");
  box.hidden = !packing();
  if (box.hidden) return;
  const { container, children } = state.pack;
  $("pack-state").textContent = container
    ? `Packing into ${label(container)}: ${children.length} item(s). Scan the contents, then finish.`
    : "Container mode: scan the case or pallet first, then everything you put into it.";
  $("pack-children").replaceChildren(...children.map((c) => el("li", {}, label(c))));
  $("pack-finish").disabled = !container || !children.length;
  $("pack-cancel").disabled = !container;
}

$("unpack").addEventListener("change", () => {
  resetPack();
});
$("pack-cancel").addEventListener("click", resetPack);
$("pack-finish").addEventListener("click", async () => {
  const { container, children } = state.pack;
  if (!container || !children.length) return;
  await queueScan(container, { children: [...children] });
  resetPack();
});

function label(payload) {
  const parsed = parsePayload(payload);
  if (parsed) return parsed.code;
  return payload.length > 48 ? `${payload.slice(0, 45)}…` : payload;
}

async function handleCode(payload) {
  showError("staff-error", "");
  if (!payload) {
    showError("staff-error", "Type, paste or scan a code first.");
    return false;
  }
  if (packing()) {
    const pack = state.pack;
    if (!pack.container) pack.container = payload;
    else if (payload !== pack.container && !pack.children.includes(payload)) pack.children.push(payload);
    renderPack();
    return true;
  }
  return queueScan(payload, {});
}

async function queueScan(payload, extra) {
  const checkpoint = state.checkpoint;
  const body = {
    event_id: uuid4(),
    payload,
    checkpoint,
    scanned_at: new Date().toISOString(),
    ...extra,
  };
  if (SHIPPING.has(checkpoint)) {
    const to = $("ship-to").value;
    if (!to) {
      showError("staff-error", "Choose who the goods are shipped to first.");
      $("ship-to").focus();
      return false;
    }
    body.to_party_id = to;
  }
  if (UNPACKING.has(checkpoint) && $("unpack").checked) body.unpack = true;
  const fix = freshFix();
  if (fix) body.location = { lat: fix.lat, lon: fix.lon, accuracy_m: fix.accuracy_m };
  await outbox.add({ event_id: body.event_id, body, token: state.token, label: label(payload) });
  await renderList();
  flushSoon();
  return true;
}

$("scan-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = $("scan-payload");
  // Clear at once: a scanner that types like a keyboard may already be sending the next code.
  const value = input.value.trim();
  input.value = "";
  try {
    if (!(await handleCode(value)) && !input.value) input.value = value;
  } catch (err) {
    if (!input.value) input.value = value;
    showError("staff-error", `The scan could not be kept on this phone: ${errorText(err)}`);
  }
  input.focus();
});

$("scan-camera").addEventListener("click", () => {
  startCamera((text) => {
    const now = Date.now();
    const last = state.lastSeen;
    const repeat = last.text === text && now - last.at < SAME_CODE_QUIET_MS;
    state.lastSeen = { text, at: now };
    if (repeat) return; // the same code still in front of the camera
    $("camera-status").textContent = `Read ${label(text)}`;
    handleCode(text).catch((err) => showError("staff-error", errorText(err)));
  }, (msg) => showError("staff-error", msg));
});

// ------------------------------------------------------------------ staff mode: upload

let flushing = null;
function flushSoon() {
  if (!flushing) flushing = flush().finally(() => (flushing = null));
  return flushing;
}

async function flush() {
  const rows = await outbox.pending();
  if (!rows.length) return renderQueue();
  const byToken = new Map();
  for (const r of rows) {
    if (!byToken.has(r.token)) byToken.set(r.token, []);
    byToken.get(r.token).push(r);
  }
  for (const [token, group] of byToken) {
    for (let i = 0; i < group.length; i += 500) {
      const chunk = group.slice(i, i + 500);
      renderQueue(`Uploading ${chunk.length} scan(s)…`);
      let answer;
      try {
        answer = await api("/v1/scans/batch", { method: "POST", token, body: { scans: chunk.map((r) => r.body) } });
      } catch (err) {
        for (const r of chunk) r.attempts += 1;
        if (err instanceof ApiError && err.status >= 400 && err.status < 500 && ![401, 403, 408, 429].includes(err.status)) {
          for (const r of chunk) Object.assign(r, { state: "rejected", error: err.problem || { detail: err.message } });
        }
        await outbox.update(chunk);
        await renderList();
        renderQueue(err instanceof NetworkError ? null : `Upload failed: ${errorText(err)} Will retry.`);
        return;
      }
      const results = new Map(answer.results.map((x) => [String(x.event_id).toLowerCase(), x]));
      for (const r of chunk) {
        const result = results.get(r.event_id.toLowerCase());
        if (!result) continue;
        r.result = result;
        r.state = result.status === "rejected" ? "rejected" : "done";
        r.error = result.error || null;
      }
      await outbox.update(chunk);
    }
  }
  await outbox.prune();
  await renderList();
  renderQueue();
}

async function renderQueue(note) {
  const waiting = (await outbox.pending()).length;
  const where = navigator.onLine ? "" : " (offline — kept on this phone)";
  $("queue").textContent = note || (waiting ? `${waiting} scan(s) waiting to upload${where}` : "All scans uploaded");
  $("queue").dataset.waiting = String(waiting);
}

function statusOf(r) {
  if (r.state === "pending") return { text: "Waiting to upload", cls: "pending" };
  if (r.state === "rejected") {
    const e = r.error || {};
    return { text: `Rejected: ${e.detail || e.title || "refused by the service"}`, cls: "rejected" };
  }
  const res = r.result || {};
  const verdict = res.verdict ? ` · ${res.verdict}` : "";
  const alerts = res.alert_ids && res.alert_ids.length ? ` · ${res.alert_ids.length} alert(s) raised` : "";
  return { text: `${res.status === "duplicate" ? "Already stored" : "Stored"}${verdict}${alerts}`, cls: res.verdict || "done" };
}

async function renderList() {
  const rows = (await outbox.all()).reverse().slice(0, 100);
  $("scan-list").replaceChildren(
    ...rows.map((r) => {
      const status = statusOf(r);
      return el(
        "li",
        { class: `scan ${status.cls}`, "data-event-id": r.event_id, "data-state": r.state },
        el("span", { class: "what" }, el("strong", {}, r.body.checkpoint), r.body.to_party_id ? ` → ${r.body.to_party_id}` : "", r.body.children ? ` (${r.body.children.length} inside)` : ""),
        el("span", { class: "code mono" }, r.label),
        el("span", { class: "when muted" }, formatTime(r.body.scanned_at), r.body.location ? ` · ±${Math.round(r.body.location.accuracy_m)} m` : " · no GPS"),
        el("span", { class: "status" }, status.text),
      );
    }),
  );
  renderQueue();
}

$("upload-now").addEventListener("click", () => flushSoon());
$("clear-done").addEventListener("click", async () => {
  await outbox.clearFinished();
  await renderList();
});

// ------------------------------------------------------------------ start

window.addEventListener("online", () => {
  renderNet();
  flushSoon();
});
window.addEventListener("offline", () => {
  renderNet();
  renderQueue();
});
renderNet();

const printed = document.querySelector('meta[name="sealtrace-payload"]').getAttribute("content");
if (printed) {
  // Opened from a printed code (GS1 Digital Link resolver): verify it at once.
  setMode("consumer");
  $("verify-payload").value = printed;
  verify(printed).catch((err) => showError("verify-error", errorText(err)));
} else {
  setMode(location.hash === "#staff" ? "staff" : location.hash === "#check" ? "consumer" : localStorage.getItem(MODE_KEY) || "consumer");
}
window.sealtraceReady = true;
