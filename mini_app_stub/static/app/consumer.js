// Consumer mode: the brand signature checked on the phone, then the service's verdict.
import { api, NetworkError, el, errorText, uuid4 } from "/ui/common/api.js";
import { verifyBrandOffline } from "/ui/app/payload.js";
import { $, CONSUMER_KEY, showError } from "/ui/app/state.js";
import { startCamera, stopCamera } from "/ui/app/camera.js";
import { currentFix } from "/ui/app/location.js";

const VERDICT_WORDS = { genuine: "Genuine", suspicious: "Suspicious", counterfeit: "Counterfeit" };
const LOYALTY_WORDS = {
  not_genuine: "points are only paid for genuine products",
  not_an_item: "points are paid for single items, not cases or pallets",
  no_consumer: "no device id was sent",
  not_shipped: "this item has not left the factory yet; points are paid once it is on sale",
  already_claimed: "the points for this code were already paid",
  not_first_verification: "someone checked this code before you",
  inner_code_required: "this product needs the inner code from under the cap",
  inner_code_wrong: "the inner code does not match",
  inner_code_locked: "too many wrong inner codes were tried for this code; try again tomorrow",
  daily_limit: "you reached today's limit of point claims",
  network_daily_limit: "today's limit of point claims from this network is reached",
  too_many_regions: "claims from too many regions",
};
const BRAND_WORDS = {
  malformed: "not a Sealtrace code",
  unknown_kid: "signed with a key the brand never published",
  revoked_key: "signed with a revoked brand key",
  bad_signature: "the brand signature does not match",
  unavailable: "could not be checked on this phone",
};

function consumerId() {
  let id = localStorage.getItem(CONSUMER_KEY);
  if (!id) {
    id = "c-" + uuid4().replace(/-/g, "");
    localStorage.setItem(CONSUMER_KEY, id);
  }
  return id;
}

export async function verify(payload) {
  showError("verify-error", "");
  const card = $("verdict");
  card.hidden = false;
  card.className = "card verdict pending";
  card.replaceChildren(el("p", { text: "Checking the brand signature on this phone…" }));
  const brandPromise = verifyBrandOffline(payload);
  const fixPromise = $("verify-geo").checked ? currentFix(4000) : Promise.resolve(null);
  const brand = await brandPromise; // the offline layer is decided before the service answers
  card.replaceChildren(brandLine(brand), el("p", { text: "Asking the Sealtrace service…" }));
  const body = await verifyBody(payload, fixPromise);
  let server = null;
  let failure = null;
  try {
    server = await api("/v1/verify", { method: "POST", body });
  } catch (err) {
    failure = err;
  }
  renderVerdict(brand, server, failure);
}

async function verifyBody(payload, fixPromise) {
  const fix = await fixPromise;
  const body = { payload, consumer_id: consumerId() };
  if (fix) body.location = { lat: fix.lat, lon: fix.lon, accuracy_m: fix.accuracy_m };
  const pin = $("verify-pin").value.trim();
  if (pin) body.pin = pin;
  return body;
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

function verdictOf(brand, server) {
  if (server) return server.verdict;
  return brand.ok ? "unconfirmed" : brand.reason === "unavailable" ? "unknown" : "counterfeit";
}

function verdictTitle(verdict, server) {
  if (server) return VERDICT_WORDS[verdict];
  if (verdict === "counterfeit") return "Counterfeit (checked on this phone only)";
  if (verdict === "unconfirmed") return "Signature valid — not yet confirmed online";
  return "Could not check";
}

function serverParts(server) {
  const parts = [];
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
  parts.push(pointsLine(server));
  return parts;
}

function pointsLine(server) {
  const points = server.points_awarded || 0;
  return points > 0
    ? el("p", { class: "points earned", "data-points": points }, `You earned ${points} points.`)
    : el("p", { class: "points", "data-points": 0 }, `No points this time${server.loyalty_reason ? `: ${LOYALTY_WORDS[server.loyalty_reason] || server.loyalty_reason}` : ""}.`);
}

function failureLine(failure) {
  const offline = failure instanceof NetworkError;
  return el(
    "p",
    { class: "error", role: "alert" },
    offline
      ? "No connection: only the brand signature could be checked on this phone. The full check (hidden seals, registry, copies) needs a connection — try again when you are online."
      : `The service could not check the code: ${errorText(failure)}`,
  );
}

function renderVerdict(brand, server, failure) {
  const card = $("verdict");
  const verdict = verdictOf(brand, server);
  card.className = `card verdict verdict-${verdict}`;
  card.dataset.verdict = verdict;
  const parts = [el("h3", { class: "verdict-title" }, verdictTitle(verdict, server))];
  if (server) parts.push(...serverParts(server));
  else if (failure) parts.push(failureLine(failure));
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
