// Scans live in IndexedDB from the moment they are made until the service has answered for
// them. Each keeps its event_id, so an upload that was cut off half way is simply sent again:
// the service answers "duplicate" for what it already stored and stores the rest.

const DB_NAME = "sealtrace-app";
const STORE = "scans";
const KEEP_DONE = 200; // finished scans kept for the running list

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

let dbPromise = null;
function db() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const open = indexedDB.open(DB_NAME, 1);
      open.onupgradeneeded = () => {
        const store = open.result.createObjectStore(STORE, { keyPath: "event_id" });
        store.createIndex("created", "created");
        store.createIndex("state", "state");
      };
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
  }
  return dbPromise;
}

async function tx(mode, fn) {
  const database = await db();
  return new Promise((resolve, reject) => {
    const t = database.transaction(STORE, mode);
    let result;
    Promise.resolve(fn(t.objectStore(STORE))).then((r) => (result = r), reject);
    t.oncomplete = () => resolve(result);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error || new Error("IndexedDB transaction aborted"));
  });
}

/** Keep a new scan: {event_id, body, token, label}. state "pending" until the service answers. */
export function add(record) {
  const row = { ...record, state: "pending", created: Date.now(), attempts: 0, result: null, error: null };
  return tx("readwrite", (store) => request(store.add(row))).then(() => row);
}

export function all() {
  return tx("readonly", (store) => request(store.index("created").getAll()));
}

export async function pending() {
  return (await all()).filter((r) => r.state === "pending");
}

export function update(rows) {
  return tx("readwrite", (store) => Promise.all(rows.map((r) => request(store.put(r)))));
}

/** Forget finished scans beyond the newest KEEP_DONE (pending ones are never dropped). */
export async function prune() {
  const done = (await all()).filter((r) => r.state !== "pending");
  const extra = done.slice(0, Math.max(0, done.length - KEEP_DONE));
  if (!extra.length) return;
  await tx("readwrite", (store) => Promise.all(extra.map((r) => request(store.delete(r.event_id)))));
}

/** Finished scans no longer need the token they were made with (older rows kept it). */
export async function dropFinishedTokens() {
  const done = (await all()).filter((r) => r.state !== "pending" && r.token);
  for (const r of done) delete r.token;
  if (done.length) await update(done);
}

export async function clearFinished() {
  const done = (await all()).filter((r) => r.state !== "pending");
  await tx("readwrite", (store) => Promise.all(done.map((r) => request(store.delete(r.event_id)))));
}
