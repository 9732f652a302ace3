// oO notifications: the section on /account, and a one-time quiet offer on the tip page. Both
// show only where this browser can take pushes (hidden otherwise, and without JavaScript), and
// permission is asked on a click, never before.
(() => {
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) return;

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
  const current = async () => (await registration()).pushManager.getSubscription();
  const reason = (error) => (error && error.message) || String(error);
  // The browser's push service may never answer (no network, a service blocked on the way): say so
  // rather than leave the button waiting.
  const PUSH_SERVICE_PATIENCE_MS = 20_000;
  const withinPatience = (promise) =>
    Promise.race([
      promise,
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error("your browser's push service did not answer within 20 s; try again later")), PUSH_SERVICE_PATIENCE_MS),
      ),
    ]);

  /** Asks for permission and subscribes this device; resolves to the permission the person gave. */
  async function subscribe() {
    const permission = await Notification.requestPermission();
    if (permission !== "granted") return permission;
    const { publicKey } = await send("GET", "/api/push/key");
    const subscribing = (await registration()).pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: publicKey });
    let subscription;
    try {
      subscription = await withinPatience(subscribing);
    } catch (error) {
      // Should the browser answer after all, the server learns of it: the page never says notifications
      // are on while none could arrive.
      subscribing.then((late) => send("POST", "/api/push/subscribe", late.toJSON())).catch(() => {});
      throw error;
    }
    await send("POST", "/api/push/subscribe", subscription.toJSON());
    return permission;
  }

  const BLOCKED = "Notifications are blocked for this site. Allow them in your browser's site settings to turn them on.";

  const section = document.getElementById("notify");
  if (section) {
    const status = section.querySelector("[data-push-status]");
    const turnOn = section.querySelector("[data-push-on]");
    const turnOff = section.querySelector("[data-push-off]");
    const test = section.querySelector("[data-push-test]");
    const say = (text) => {
      status.textContent = text;
    };
    const show = (subscribed) => {
      turnOn.hidden = subscribed || Notification.permission === "denied";
      turnOff.hidden = !subscribed;
      test.hidden = !subscribed;
    };
    const refresh = async () => {
      const subscription = await current();
      if (Notification.permission === "denied") say(BLOCKED);
      else say(subscription ? "Notifications are on for this device." : "Get a tip as a notification when one is worth it, never in your quiet hours.");
      show(Boolean(subscription));
    };
    const busy = (button, work) => async () => {
      button.disabled = true;
      try {
        await work();
      } finally {
        button.disabled = false;
      }
    };
    turnOn.addEventListener(
      "click",
      busy(turnOn, async () => {
        try {
          await subscribe();
          await refresh();
        } catch (error) {
          say(`Notifications could not be turned on here: ${reason(error)}.`);
        }
      }),
    );
    turnOff.addEventListener(
      "click",
      busy(turnOff, async () => {
        try {
          const subscription = await current();
          if (subscription) {
            await send("DELETE", "/api/push/subscribe", { endpoint: subscription.endpoint });
            await subscription.unsubscribe();
          }
          await refresh();
        } catch (error) {
          say(`Notifications could not be turned off: ${reason(error)}.`);
        }
      }),
    );
    test.addEventListener(
      "click",
      busy(test, async () => {
        try {
          const { queued } = await send("POST", "/api/push/test");
          say(queued > 0 ? "A test notification is on its way." : "No device is set up for notifications.");
        } catch (error) {
          say(`The test could not be sent: ${reason(error)}.`);
        }
      }),
    );
    section.hidden = false;
    refresh().catch((error) => say(`Notifications are not available here: ${reason(error)}.`));
  }

  // The tip page offers it once per device, to someone who has used oO a little, and never again
  // once answered or shown.
  const offer = document.getElementById("push-offer");
  const OFFERED = "oo.push-offered";
  if (offer && Notification.permission === "default" && !localStorage.getItem(OFFERED) && !document.querySelector("[data-first-run]")) {
    current()
      .then((subscription) => {
        if (subscription) return;
        localStorage.setItem(OFFERED, String(Date.now()));
        offer.hidden = false;
        const line = offer.querySelector("[data-offer-text]");
        const close = () => {
          offer.hidden = true;
        };
        offer.querySelector("[data-offer-later]").addEventListener("click", close);
        offer.querySelector("[data-offer-on]").addEventListener("click", async () => {
          try {
            const permission = await subscribe();
            if (permission === "granted") {
              line.textContent = "Notifications are on. Change this on your account page.";
              offer.querySelectorAll("button").forEach((button) => {
                button.hidden = true;
              });
            } else close();
          } catch (error) {
            line.textContent = `Notifications could not be turned on here: ${reason(error)}.`;
          }
        });
      })
      .catch(() => {});
  }
})();
