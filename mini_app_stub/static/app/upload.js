// Staff mode: uploading the outbox in batches and the running list of scans.
import { api, ApiError, NetworkError, el, errorText, formatTime } from "/ui/common/api.js";
import * as outbox from "/ui/app/outbox.js";
import { $ } from "/ui/app/state.js";

const BATCH = 500;

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

async function flush() {
  const rows = await outbox.pending();
  if (!rows.length) return renderQueue();
  for (const [token, group] of byToken(rows)) {
    for (let i = 0; i < group.length; i += BATCH) {
      if (!(await uploadChunk(token, group.slice(i, i + BATCH)))) return;
    }
  }
  await outbox.prune();
  await renderList();
  renderQueue();
}

/** Sends one chunk and records the answers; false when the upload failed (retried later). */
async function uploadChunk(token, chunk) {
  renderQueue(`Uploading ${chunk.length} scan(s)…`);
  let answer;
  try {
    answer = await api("/v1/scans/batch", { method: "POST", token, body: { scans: chunk.map((r) => r.body) } });
  } catch (err) {
    await recordFailure(chunk, err);
    return false;
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
  return true;
}

async function recordFailure(chunk, err) {
  for (const r of chunk) r.attempts += 1;
  if (err instanceof ApiError && err.status >= 400 && err.status < 500 && ![401, 403, 408, 429].includes(err.status)) {
    for (const r of chunk) Object.assign(r, { state: "rejected", error: err.problem || { detail: err.message } });
  }
  await outbox.update(chunk);
  await renderList();
  renderQueue(err instanceof NetworkError ? null : `Upload failed: ${errorText(err)} Will retry.`);
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
  const verdict = res.verdict ? ` · ${res.verdict}` : "";
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
