// oO notifications on /account: shown only where this browser can take pushes (the section is
// hidden otherwise, and without JavaScript). Permission is asked on the click, never before.
(() => {
  const section = document.getElementById("notify");
  if (!section || !("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) return;
  const status = section.querySelector("[data-push-status]");
  const turnOn = section.querySelector("[data-push-on]");
  const turnOff = section.querySelector("[data-push-off]");
  const test = section.querySelector("[data-push-test]");

  const say = (text) => {
    status.textContent = text;
  };
  const show = (subscribed) => {
    turnOn.hidden = subscribed;
    turnOff.hidden = !subscribed;
    test.hidden = !subscribed;
  };
  const send = (method, path, body) =>
    fetch(path, {
      method,
      headers: body ? { "content-type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
    }).then((response) => {
      if (!response.ok) throw new Error(`the server answered ${response.status}`);
      return response.json();
    });

  const registration = () => navigator.serviceWorker.register("/sw.js").then(() => navigator.serviceWorker.ready);

  async function refresh() {
    if (Notification.permission === "denied") {
      say("Notifications are blocked for this site. Allow them in your browser's site settings to turn them on.");
      show(false);
      turnOn.hidden = true;
      return;
    }
    const subscription = await (await registration()).pushManager.getSubscription();
    say(subscription ? "Notifications are on for this device." : "Get a tip as a notification when one is worth it, never in your quiet hours.");
    show(Boolean(subscription));
  }

  turnOn.addEventListener("click", async () => {
    turnOn.disabled = true;
    try {
      const permission = await Notification.requestPermission();
      if (permission !== "granted") return await refresh();
      const { publicKey } = await send("GET", "/api/push/key");
      const subscription = await (await registration()).pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: publicKey });
      await send("POST", "/api/push/subscribe", subscription.toJSON());
      await refresh();
    } catch (error) {
      say(`Notifications could not be turned on here: ${error.message || error}.`);
    } finally {
      turnOn.disabled = false;
    }
  });

  turnOff.addEventListener("click", async () => {
    turnOff.disabled = true;
    try {
      const subscription = await (await registration()).pushManager.getSubscription();
      if (subscription) {
        await send("DELETE", "/api/push/subscribe", { endpoint: subscription.endpoint });
        await subscription.unsubscribe();
      }
      await refresh();
    } catch (error) {
      say(`Notifications could not be turned off: ${error.message || error}.`);
    } finally {
      turnOff.disabled = false;
    }
  });

  test.addEventListener("click", async () => {
    try {
      const { queued } = await send("POST", "/api/push/test");
      say(queued > 0 ? "A test notification is on its way." : "No device is set up for notifications.");
    } catch (error) {
      say(`The test could not be sent: ${error.message || error}.`);
    }
  });

  section.hidden = false;
  refresh().catch((error) => say(`Notifications are not available here: ${error.message || error}.`));
})();
