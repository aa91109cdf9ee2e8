// The mini-app: consumer verification and staff checkpoint scanning (offline-first).
// This module picks the mode and starts the page; the work is done in:
// consumer.js (consumer check), staff.js (token, party, checkpoints), scan.js (scanning,
// container mode), upload.js (outbox upload, scan list), camera.js, location.js, state.js.
import { errorText } from "/ui/common/api.js";
import { $, MODE_KEY, showError } from "/ui/app/state.js";
import { renderNet, stopCamera } from "/ui/app/camera.js";
import { verify } from "/ui/app/consumer.js";
import { startStaff } from "/ui/app/staff.js";
import { flushSoon, renderQueue } from "/ui/app/upload.js";

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
if ("serviceWorker" in navigator) {
  // Opens the app without a connection next time (sw.js); scans were kept offline already.
  navigator.serviceWorker.register("/app-sw.js", { scope: "/app" }).catch(() => {});
}
window.sealtraceReady = true;
