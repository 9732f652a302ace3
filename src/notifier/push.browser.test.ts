import { describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Page } from "playwright-core";
import { signIn } from "../testing/auth.ts";
import { browserAndApp } from "../testing/browser.ts";

setDefaultTimeout(20_000);

const served = browserAndApp();

interface ShownNotification {
  title: string;
  body: string;
  tag: string;
  badge: string;
  data: { tipId: string | null };
  actions: string[];
}

const shown = (page: Page) =>
  page.evaluate(async () =>
    (await (await navigator.serviceWorker.ready).getNotifications()).map((notification) => ({
      title: notification.title,
      body: notification.body,
      tag: notification.tag,
      badge: notification.badge,
      data: notification.data,
      // Not in TypeScript's DOM types yet: the actions a notification offers.
      actions: ((notification as unknown as { actions?: { action: string }[] }).actions ?? []).map((action) => action.action),
    })),
  ) as Promise<ShownNotification[]>;

/** The notifications once `ready` holds for them (the service worker shows them a moment after the push). */
async function shownWhen(page: Page, ready: (notifications: ShownNotification[]) => boolean): Promise<ShownNotification[]> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const notifications = await shown(page);
    if (ready(notifications) || Date.now() > deadline) return notifications;
    await Bun.sleep(50);
  }
}

describe("the service worker and a push", () => {
  test("a pushed tip shows as an oO notification with Done and Snooze; a newer one replaces it", async () => {
    const { browser, context, server } = served;
    const person = signIn(context.database);
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await page.context().grantPermissions(["notifications"], { origin: server.url });
    await page.context().addCookies([{ name: "sid", value: person.token, url: server.url }]);
    await page.goto(`${server.url}/`);
    await page.evaluate(async () => void (await navigator.serviceWorker.ready));

    // The browser's own path for a push: DevTools delivers it to the registration as a push service would.
    const cdp = await page.context().newCDPSession(page);
    const registered = new Promise<string>((resolve) =>
      cdp.on("ServiceWorker.workerRegistrationUpdated", ({ registrations }) => {
        const ours = registrations.find((registration) => registration.scopeURL === `${server.url}/` && !registration.isDeleted);
        if (ours) resolve(ours.registrationId);
      }),
    );
    await cdp.send("ServiceWorker.enable");
    const registrationId = await registered;
    const deliver = (message: object) => cdp.send("ServiceWorker.deliverPushMessage", { origin: server.url, registrationId, data: JSON.stringify(message) });

    await deliver({ kind: "tip", tipId: "tip-1", text: "File the tax return", actions: ["done", "snooze"] });
    expect(await shownWhen(page, (notifications) => notifications.length > 0)).toEqual([
      { title: "oO", body: "File the tax return", tag: "oo-tip", badge: `${server.url}/badge-72.png`, data: { tipId: "tip-1" }, actions: ["done", "snooze"] },
    ]);

    // A newer tip replaces the unread one; a test push has no actions.
    await deliver({ kind: "tip", tipId: "tip-2", text: "Call the dentist", actions: ["done", "snooze"] });
    const replaced = await shownWhen(page, (notifications) => notifications.some((notification) => notification.data.tipId === "tip-2"));
    expect(replaced.map((notification) => [notification.data.tipId, notification.body])).toEqual([["tip-2", "Call the dentist"]]);
    await deliver({ kind: "test", text: "Notifications work." });
    const withTest = await shownWhen(page, (notifications) => notifications.some((notification) => notification.tag === "oo-test"));
    expect(withTest.find((notification) => notification.tag === "oo-test")).toMatchObject({ body: "Notifications work.", actions: [], data: { tipId: null } });
    // Something that is not oO's is not shown.
    await deliver({ nonsense: true });
    await Bun.sleep(300);
    expect(await shown(page)).toHaveLength(2);

    // The badge is a real image.
    const badge = await fetch(`${server.url}/badge-72.png`);
    expect(badge.headers.get("content-type")).toBe("image/png");
    await page.close();
  });
});
