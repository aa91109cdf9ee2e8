// Staff mode: uploading the outbox in batches and the running list of scans.
import { api, ApiError, NetworkError, el, errorText, formatTime } from "/ui/common/api.js";
import * as outbox from "/ui/app/outbox.js";
import { $ } from "/ui/app/state.js";

const BATCH = 500;
// The service refuses bodies over 1 MiB (413); a pack of 1,000 children is ~0.2 MB, so
// batches are cut by size too, with room for the envelope.
const MAX_BATCH_BYTES = 900_000;

let flushing = null;
export function flushSoon() {
  if (!flushing) flushing = flush().finally(() => (flushing = null));
  return flushing;
}

function byToken(rows) {
  const groups = new Map();
  for (const r of rows) {
    if (!groups.has(r.token)) groups.set(r.token, []);
    groups.get(r.token).push(r);
  }
  return groups;
}

/** Batches of at most BATCH scans and MAX_BATCH_BYTES of JSON, in order. */
export function batches(group) {
  const out = [];
  let current = [];
  let bytes = 0;
  for (const r of group) {
    const size = JSON.stringify(r.body).length + 1;
    if (current.length && (current.length >= BATCH || bytes + size > MAX_BATCH_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(r);
    bytes += size;
  }
  if (current.length) out.push(current);
  return out;
}

async function flush() {
  const rows = await outbox.pending();
  if (!rows.length) return renderQueue();
  // Each token's scans go on their own: a token the service refuses must not hold up the
  // scans made with another. Only a lost connection or a busy service stops the round.
  groups: for (const [token, group] of byToken(rows)) {
    for (const chunk of batches(group)) {
      const outcome = await uploadChunk(token, chunk);
      if (outcome === "retry") return;
      if (outcome === "token refused") {
        await refuse(group.filter((r) => r.state === "pending"));
        continue groups;
      }
    }
  }
  await outbox.prune();
  await renderList();
  renderQueue();
}

/** Sends one chunk and records the answers: "done", "token refused" (the rest of this
 * token's scans are not sent), or "retry" (the upload failed; tried again later). */
async function uploadChunk(token, chunk) {
  renderQueue(`Uploading ${chunk.length} scan(s)…`);
  let answer;
  try {
    answer = await api("/v1/scans/batch", { method: "POST", token, body: { scans: chunk.map((r) => r.body) } });
  } catch (err) {
    if (err instanceof ApiError && err.status === 413 && chunk.length > 1) {
      const half = Math.ceil(chunk.length / 2); // larger than it looked: send it in halves
      const first = await uploadChunk(token, chunk.slice(0, half));
      return first === "done" ? uploadChunk(token, chunk.slice(half)) : first;
    }
    return recordFailure(chunk, err);
  }
  const results = new Map(answer.results.map((x) => [String(x.event_id).toLowerCase(), x]));
  for (const r of chunk) {
    const result = results.get(r.event_id.toLowerCase());
    if (!result) continue;
    r.result = result;
    r.state = result.status === "rejected" ? "rejected" : "done";
    r.error = result.error || null;
    delete r.token; // answered: the token has no business staying on this phone with it
  }
  await outbox.update(chunk);
  return "done";
}

const TOKEN_REFUSED = {
  title: "Token refused",
  detail: "the token these scans were made with is no longer accepted (revoked or wrong); scan them again with a valid token",
};

async function refuse(rows) {
  for (const r of rows) {
    Object.assign(r, { state: "rejected", error: TOKEN_REFUSED });
    delete r.token;
  }
  if (rows.length) await outbox.update(rows);
}

async function recordFailure(chunk, err) {
  for (const r of chunk) r.attempts += 1;
  let outcome = "retry";
  if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
    // The token's party made these scans; no other token may upload them as its own.
    outcome = "token refused"; // flush() refuses every waiting scan of this token, these too
  } else if (err instanceof ApiError && err.status >= 400 && err.status < 500 && ![408, 429].includes(err.status)) {
    for (const r of chunk) Object.assign(r, { state: "rejected", error: err.problem || { detail: err.message } });
    outcome = "done";
  }
  for (const r of chunk) if (r.state !== "pending") delete r.token;
  await outbox.update(chunk);
  await renderList();
  renderQueue(err instanceof NetworkError ? null : `Upload failed: ${errorText(err)}${outcome === "retry" ? " Will retry." : ""}`);
  return outcome;
}

export async function renderQueue(note) {
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
  const why = res.reason ? ` (${res.reason.replaceAll("_", " ")})` : "";
  const verdict = res.verdict ? ` · ${res.verdict}${why}` : "";
  const alerts = res.alert_ids && res.alert_ids.length ? ` · ${res.alert_ids.length} alert(s) raised` : "";
  return { text: `${res.status === "duplicate" ? "Already stored" : "Stored"}${verdict}${alerts}`, cls: res.verdict || "done" };
}

function scanItem(r) {
  const status = statusOf(r);
  return el(
    "li",
    { class: `scan ${status.cls}`, "data-event-id": r.event_id, "data-state": r.state },
    el("span", { class: "what" }, el("strong", {}, r.body.checkpoint), r.body.to_party_id ? ` → ${r.body.to_party_id}` : "", r.body.children ? ` (${r.body.children.length} inside)` : ""),
    el("span", { class: "code mono" }, r.label),
    el("span", { class: "when muted" }, formatTime(r.body.scanned_at), r.body.location ? ` · ±${Math.round(r.body.location.accuracy_m)} m` : " · no GPS"),
    el("span", { class: "status" }, status.text),
  );
}

export async function renderList() {
  const rows = (await outbox.all()).reverse().slice(0, 100);
  $("scan-list").replaceChildren(...rows.map(scanItem));
  renderQueue();
}

$("upload-now").addEventListener("click", () => flushSoon());
$("clear-done").addEventListener("click", async () => {
  await outbox.clearFinished();
  await renderList();
});
