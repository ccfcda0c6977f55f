/* The service worker: keeps this version's app shell so the app opens with no network.
 *
 * Only the shell is cached (the page, scripts, styles, texts, icons); API calls always go to
 * the network, and nothing a facilitator writes ever reaches this cache.
 */
"use strict";

const VERSION = "__VERSION__";
const CACHE = "sigap-app-" + VERSION;
const SHELL = __SHELL__;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll(SHELL.map((url) => new Request(url, { cache: "reload" }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(
        names.filter((n) => n.startsWith("sigap-app-") && n !== CACHE).map((n) => caches.delete(n)),
      ))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (!url.pathname.startsWith("/app")) return;
  if (request.mode === "navigate") {
    // /app, /app/ and any page under it open this version's page.
    event.respondWith(caches.open(CACHE).then((c) => c.match("/app/")).then((hit) => hit || fetch(request)));
    return;
  }
  event.respondWith(caches.open(CACHE).then((c) => c.match(request)).then((hit) => hit || fetch(request)));
});
