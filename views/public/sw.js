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

// Web push: a tip arrives as a notification with Done and Snooze, which answer it without opening
// the page; a tap opens the tip page (an open one is focused). A newer tip replaces an unread one.
self.addEventListener("push", (event) => {
  let message = null;
  try {
    message = event.data ? event.data.json() : null;
  } catch (error) {}
  if (!message || typeof message.text !== "string") return;
  const actions = (message.actions || []).map((action) => ({ action, title: action === "done" ? "Done" : "Snooze" }));
  event.waitUntil(
    self.registration.showNotification("oO", {
      body: message.text,
      icon: "/icon-192.png",
      badge: "/badge-72.png",
      tag: message.kind === "tip" ? "oo-tip" : "oo-test",
      data: { tipId: message.tipId || null },
      actions: message.tipId ? actions : [],
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  const { tipId } = event.notification.data || {};
  event.notification.close();
  if (tipId && (event.action === "done" || event.action === "snooze")) {
    // Same origin, with the session cookie: the server's CSRF check sees a same-origin request.
    event.waitUntil(
      fetch(`/api/tip/${encodeURIComponent(tipId)}/feedback`, {
        method: "POST",
        credentials: "same-origin",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ action: event.action }),
      }).catch(() => {}),
    );
    return;
  }
  // The tip page on the tip it carried (the page shows it while it still stands).
  const target = tipId ? `/?tip=${encodeURIComponent(tipId)}` : "/";
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      const open = windows.find((client) => new URL(client.url).pathname === "/");
      if (open) return open.navigate(target).then((client) => (client || open).focus());
      return self.clients.openWindow(target);
    }),
  );
});

// The browser replaced the subscription (keys rotated, or it expired): the new one is sent on.
self.addEventListener("pushsubscriptionchange", (event) => {
  event.waitUntil(
    fetch("/api/push/key", { credentials: "same-origin" })
      .then((response) => response.json())
      .then(({ publicKey }) => self.registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: publicKey }))
      .then((subscription) =>
        fetch("/api/push/subscribe", {
          method: "POST",
          credentials: "same-origin",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(subscription.toJSON()),
        }),
      )
      .catch(() => {}),
  );
});
