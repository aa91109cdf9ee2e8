// The staff app's service worker: the app opens without a connection, from what it last
// fetched (docs/ui.md, "Offline"). Served at /app-sw.js (scope /app) with the list of the
// app's files put in place of ASSETS. Pages and files: network first, so a deploy is seen at
// once when online; the cache only when the network fails. The API is never cached.
const CACHE = "sealtrace-app-v1";
const ASSETS = [/* filled in by the server */];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(["/app", ...ASSETS])));
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

function cached(request) {
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return false;
  return url.pathname === "/app" || url.pathname.startsWith("/ui/");
}

self.addEventListener("fetch", (event) => {
  if (!cached(event.request)) return; // the API and everything else: straight to the network
  const key = new URL(event.request.url).pathname; // "/app?x" and "/app#staff" are one page
  event.respondWith(
    fetch(event.request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(key, copy));
        }
        return response;
      })
      .catch(() => caches.match(key).then((hit) => hit || Response.error())),
  );
});
