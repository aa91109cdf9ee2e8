// Offline check of the brand signature layer (docs/code-format.md, "Offline verification
// procedure"): strict grammar, GS1 check digit, Ed25519 over "sealtrace/v1/brand\0" + body,
// with the public keys of /.well-known/sealtrace/keys.json. The service and line seals need
// secrets: only the server checks those.

const PAYLOAD_RE = new RegExp(
  "^(?<body>(?<uri>https://(?<host>[a-z0-9.:-]{1,259})" +
    "(?:/01/(?<gtin>[0-9]{14})/10/(?<lot>[A-Za-z0-9._-]{1,20})" +
    "/21/(?<serial>[A-Za-z0-9._-]{1,20})|/00/(?<sscc>[0-9]{18})))" +
    "\\?k=(?<bkid>[A-Za-z0-9]{1,4})" +
    "&s=(?<skid>[A-Za-z0-9]{1,4})\\.(?<smac>[A-Za-z0-9_-]{12})" +
    "&l=(?<lkid>[A-Za-z0-9]{1,4})\\.(?<lmac>[A-Za-z0-9_-]{12}))" +
    "&8030=(?<sig>[A-Za-z0-9_-]{85}[AQgw])$",
);
const LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const HOST_RE = new RegExp(`^${LABEL}(?:\\.${LABEL})*(?::[1-9][0-9]{0,4})?$`);
const BRAND_DOMAIN = "sealtrace/v1/brand\u0000";

function gs1CheckDigitOk(digits) {
  let sum = 0;
  const body = digits.slice(0, -1);
  for (let i = 0; i < body.length; i++) {
    const weight = (body.length - i) % 2 === 1 ? 3 : 1;
    sum += Number(body[i]) * weight;
  }
  return (10 - (sum % 10)) % 10 === Number(digits[digits.length - 1]);
}

/** The payload's fields, or null when it is not one of ours (strict grammar). */
export function parsePayload(text) {
  const m = PAYLOAD_RE.exec(text);
  if (!m) return null;
  const g = m.groups;
  if (!HOST_RE.test(g.host) || g.host.length > 253) return null;
  if (g.lot !== undefined && /^\.+$/.test(g.lot)) return null;
  if (g.serial !== undefined && /^\.+$/.test(g.serial)) return null;
  const key = g.gtin !== undefined ? g.gtin : g.sscc;
  if (!gs1CheckDigitOk(key)) return null;
  const code = g.gtin !== undefined ? `sgtin:${g.gtin}:${g.lot}:${g.serial}` : `sscc:${g.sscc}`;
  return { ...g, code };
}

function base64urlToBytes(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
  const raw = atob(b64);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

let keysPromise = null;

/** The published brand keys (fetched once per page). */
export function loadKeys() {
  if (!keysPromise) {
    keysPromise = fetch("/.well-known/sealtrace/keys.json", { cache: "no-store" })
      .then((r) => {
        if (!r.ok) throw new Error(`keys.json answered HTTP ${r.status}`);
        return r.json();
      })
      .catch((err) => {
        keysPromise = null;
        throw err;
      });
  }
  return keysPromise;
}

/**
 * Check the brand layer in this browser.
 * → {ok: true, kid} | {ok: false, reason: "malformed"|"unknown_kid"|"revoked_key"|"bad_signature"|"unavailable", detail}
 */
export async function verifyBrandOffline(text) {
  const parsed = parsePayload(text);
  if (!parsed) return { ok: false, reason: "malformed", detail: "not a Sealtrace code (the text does not match the code format)" };
  let doc;
  try {
    doc = await loadKeys();
  } catch (err) {
    return { ok: false, reason: "unavailable", detail: `the brand keys could not be loaded (${err.message})` };
  }
  const key = (doc.keys || []).find((k) => k.kid === parsed.bkid && (k.alg || "Ed25519") === "Ed25519");
  if (!key) return { ok: false, reason: "unknown_kid", kid: parsed.bkid, detail: `no published brand key "${parsed.bkid}"` };
  if (key.status === "revoked") return { ok: false, reason: "revoked_key", kid: parsed.bkid, detail: `brand key "${parsed.bkid}" is revoked` };
  if (!(globalThis.crypto && crypto.subtle)) {
    return { ok: false, reason: "unavailable", detail: "this browser has no WebCrypto (needs https or localhost)" };
  }
  try {
    const publicKey = await crypto.subtle.importKey("raw", base64urlToBytes(key.public_key), { name: "Ed25519" }, false, ["verify"]);
    const message = new TextEncoder().encode(BRAND_DOMAIN + parsed.body);
    const valid = await crypto.subtle.verify("Ed25519", publicKey, base64urlToBytes(parsed.sig), message);
    return valid
      ? { ok: true, kid: parsed.bkid, parsed }
      : { ok: false, reason: "bad_signature", kid: parsed.bkid, detail: "the brand signature does not match the code" };
  } catch (err) {
    return { ok: false, reason: "unavailable", detail: `this browser cannot check Ed25519 signatures (${err.message})` };
  }
}
