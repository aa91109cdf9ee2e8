// The phone's location: one fix for a consumer check, a running watch while scanning.
import { $, FIX_MAX_AGE_MS, state } from "/ui/app/state.js";

export function currentFix(timeoutMs) {
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
export function watchLocation() {
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

export function freshFix() {
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
