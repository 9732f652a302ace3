// oO service worker: an offline notice instead of the browser's error page. It caches nothing
// else, so a tip is never stale. The notice tries again by itself once the server answers.
const OFFLINE = `<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="theme-color" content="#000000"><title>Offline · oO</title>
<body style="margin:0;min-height:100vh;display:flex;flex-direction:column;align-items:center;justify-content:center;background:#000;color:#fff;font:1.0625rem/1.5 system-ui,sans-serif;text-align:center;padding:1.5rem">
<main><h1 style="font-size:1.25rem;font-weight:500;margin:0 0 .5rem">You are offline</h1>
<p style="margin:0;color:#8a8a8a">Your next tip is waiting for the connection. This page tries again by itself.</p></main>
<script>
(function () {
  function retry() {
    fetch("/health", { cache: "no-store" }).then(function (response) { if (response.ok) location.reload(); }, function () {});
  }
  addEventListener("online", retry);
  setInterval(retry, 5000);
})();
</script>`;

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));
self.addEventListener("fetch", (event) => {
  // Only pages read with GET: a reload of the notice must not send a form again.
  if (event.request.mode !== "navigate" || event.request.method !== "GET") return;
  event.respondWith(
    fetch(event.request).catch(() => new Response(OFFLINE, { headers: { "content-type": "text/html; charset=utf-8" } })),
  );
});
