// The one way the pages talk to the service: fetch + problem+json errors turned into words.

export class ApiError extends Error {
  constructor(status, problem, text) {
    super(describeProblem(status, problem, text));
    this.name = "ApiError";
    this.status = status;
    this.problem = problem;
  }
}

export class NetworkError extends Error {
  constructor(cause) {
    super("No connection to the Sealtrace service. " + (cause && cause.message ? `(${cause.message})` : ""));
    this.name = "NetworkError";
  }
}

function describeProblem(status, problem, text) {
  if (problem && typeof problem === "object" && (problem.detail || problem.title)) {
    let words = problem.detail || problem.title;
    if (problem.title && problem.detail && !problem.detail.startsWith(problem.title)) {
      words = `${problem.title}: ${problem.detail}`;
    }
    if (Array.isArray(problem.errors) && problem.errors.length) {
      const parts = problem.errors.map((e) => {
        const loc = Array.isArray(e.loc) ? e.loc.filter((p) => p !== "body").join(".") : "";
        return loc ? `${loc}: ${e.msg}` : e.msg;
      });
      words += ` (${parts.join("; ")})`;
    }
    return `${words} [HTTP ${status}]`;
  }
  const snippet = (text || "").trim().slice(0, 200);
  return `The service answered HTTP ${status}${snippet ? `: ${snippet}` : ""}`;
}

/** Problem or network error → a sentence for the user. */
export function errorText(err) {
  if (err instanceof ApiError || err instanceof NetworkError) return err.message;
  return `Unexpected error: ${err && err.message ? err.message : String(err)}`;
}

/** Call the API. Throws ApiError (HTTP error with its problem) or NetworkError (no answer). */
export async function api(path, { method = "GET", token, body, signal } = {}) {
  const headers = { Accept: "application/json, application/problem+json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      cache: "no-store",
    });
  } catch (err) {
    throw new NetworkError(err);
  }
  if (response.status === 204) return null;
  let text = "";
  try {
    text = await response.text();
  } catch (err) {
    throw new NetworkError(err);
  }
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) throw new ApiError(response.status, data, text);
  return data;
}

/** A v4 UUID; crypto.randomUUID is missing outside secure contexts. */
export function uuid4() {
  if (globalThis.crypto && crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Small DOM helper: el("p", {class: "x"}, "text", child, ...). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (value === true) node.setAttribute(key, "");
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function formatTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}
