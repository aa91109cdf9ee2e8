// Staff mode: scanning at the chosen checkpoint, and container mode (pack).
import { el, errorText, uuid4 } from "/ui/common/api.js";
import * as outbox from "/ui/app/outbox.js";
import { $, SAME_CODE_QUIET_MS, SHIPPING, UNPACKING, label, showError, state } from "/ui/app/state.js";
import { startCamera } from "/ui/app/camera.js";
import { freshFix } from "/ui/app/location.js";
import { flushSoon, renderList } from "/ui/app/upload.js";

export function resetPack() {
  state.pack = { container: null, children: [] };
  renderPack();
}

function packing() {
  return state.checkpoint === "pack" && !$("unpack").checked;
}

export function renderPack() {
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
