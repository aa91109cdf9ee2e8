// The connection line and the camera shared by both modes.
import { Scanner } from "/ui/app/scanner.js";
import { $, state } from "/ui/app/state.js";

export function renderNet() {
  $("net").textContent = navigator.onLine ? "Online" : "Offline — scans are kept on this phone";
  $("net").classList.toggle("offline", !navigator.onLine);
}

const scanner = new Scanner($("video"), (text) => state.onDecoded && state.onDecoded(text), (msg) => {
  $("camera-status").textContent = msg;
});

export async function startCamera(onDecoded, showError) {
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

export function stopCamera() {
  scanner.stop();
  state.onDecoded = null;
  $("camera").hidden = true;
}

$("camera-stop").addEventListener("click", stopCamera);
