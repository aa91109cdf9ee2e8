// Shared by the console's views: the session, the API call with its token, page helpers.
import { api, el } from "/ui/common/api.js";

export const $ = (id) => document.getElementById(id);
export const TOKEN_KEY = "sealtrace.console.token";

export const session = { token: sessionStorage.getItem(TOKEN_KEY) || "" };
let territoriesCache = null;

export const call = (path, options = {}) => api(path, { ...options, token: session.token });

let router = null;

/** The router (console.js) registers itself so views can redraw the current page. */
export function setRouter(fn) {
  router = fn;
}

export function rerender() {
  return router();
}

export function showError(message) {
  $("error").textContent = message || "";
  $("error").hidden = !message;
}

export function content(...children) {
  $("content").replaceChildren(...children);
}

export const badge = (text, cls) => el("span", { class: `badge ${cls || text}` }, text.replace(/_/g, " "));
export const partyLink = (id) => (id ? el("a", { href: `#/parties/${encodeURIComponent(id)}` }, id) : "—");
export const codeLink = (code) => el("a", { href: `#/trace/${encodeURIComponent(code)}`, class: "mono" }, code);

export function select(id, label, options, value) {
  const sel = el("select", { id, name: id }, el("option", { value: "" }, "any"), ...options.map((o) => el("option", { value: o }, o.replace(/_/g, " "))));
  sel.value = value || "";
  return el("div", { class: "field" }, el("label", { for: id }, label), sel);
}

export function mapFigure(svg, caption) {
  return el("figure", { class: "map-box" }, svg, el("figcaption", { class: "legend small" }, ...caption));
}

export async function territories() {
  if (!territoriesCache) {
    const items = [];
    let cursor = null;
    do {
      const page = await call(`/v1/territories?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      items.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor && items.length < 20000);
    territoriesCache = items;
  }
  return territoriesCache;
}

export function forgetTerritories() {
  territoriesCache = null;
}
