import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { eq } from "drizzle-orm";
import { candidateStates, tasks, tipFeedback } from "../db/schema.ts";
import { signIn } from "../testing/auth.ts";
import { browserAndApp } from "../testing/browser.ts";

// A real browser on a shared two-core machine: a test that waits out the page's key guard can
// pass 5 s when the rest of the suite runs alongside.
setDefaultTimeout(20_000);

const served = browserAndApp();

async function signedInPage(
  options: { javaScriptEnabled?: boolean; viewport?: { width: number; height: number }; touch?: boolean; person?: ReturnType<typeof signIn> } = {},
) {
  const person = options.person ?? signIn(served.context.database);
  const page = await served.browser.newPage({
    javaScriptEnabled: options.javaScriptEnabled ?? true,
    viewport: options.viewport ?? { width: 390, height: 844 },
    hasTouch: options.touch ?? false,
    isMobile: options.touch ?? false,
  });
  await page.context().addCookies([{ name: "sid", value: person.token, url: served.server.url }]);
  return { page, person };
}

/** A signed-in tip page, loaded with htmx and its script ready. */
async function openTip(options: Parameters<typeof signedInPage>[0] = {}) {
  const opened = await signedInPage(options);
  await opened.page.goto(`${served.server.url}/`);
  await opened.page.waitForFunction(() => "htmx" in window);
  return opened;
}

const currentTipId = (page: Awaited<ReturnType<typeof signedInPage>>["page"]) =>
  page.locator("#tip").getAttribute("data-tip-id");

/** The page ignores shortcuts this long after a tip appears (views/public/tip.js), plus a margin. */
const SETTLE_MS = 450;

describe("the tip page in Chromium", () => {
  test("keyboard: Space opens the sheet, a shortcut acts, htmx swaps in the next tip without a reload, no layout shift", async () => {
    const { page, person } = await signedInPage();
    await page.addInitScript(() => {
      (window as unknown as { layoutShift: number }).layoutShift = 0;
      new PerformanceObserver((list) => {
        // Every shift counts here, even right after input (which CLS itself forgives).
        for (const entry of list.getEntries()) (window as unknown as { layoutShift: number }).layoutShift += (entry as unknown as { value: number }).value;
      }).observe({ type: "layout-shift", buffered: true });
    });
    await page.goto(`${served.server.url}/`);
    await page.waitForFunction(() => "htmx" in window);
    const first = await currentTipId(page);
    await page.evaluate(() => ((window as unknown as { marker: string }).marker = "same document"));

    await expect(page.locator(".sheet").isVisible()).resolves.toBe(false);
    await page.keyboard.press(" ");
    await expect(page.locator(".sheet").isVisible()).resolves.toBe(true);
    await page.keyboard.press("Escape");
    await expect(page.locator(".sheet").isVisible()).resolves.toBe(false);

    await page.keyboard.press("w");
    await expect(page.locator(".why p").isVisible()).resolves.toBe(true);

    // Done acts from the keyboard with the sheet open, once the tip has been on screen a moment.
    await Bun.sleep(SETTLE_MS);
    await page.keyboard.press(" ");
    await page.keyboard.press("d");
    await page.waitForFunction((previous) => document.querySelector("#tip")?.getAttribute("data-tip-id") !== previous, first);
    expect(await page.evaluate(() => (window as unknown as { marker?: string }).marker)).toBe("same document");
    const feedback = served.context.database.db.select().from(tipFeedback).where(eq(tipFeedback.tipId, first!)).get()!;
    expect(feedback).toMatchObject({ action: "done", userId: person.userId });
    expect(await page.evaluate(() => (window as unknown as { layoutShift: number }).layoutShift)).toBe(0);
    await page.close();
  });

  test("one action per tip: a key pressed while the first action is on its way, or a key held into the next tip, does nothing", async () => {
    const { page, person } = await openTip();
    const first = await currentTipId(page);
    let posts = 0;
    await page.route("**/tip/*/feedback", async (route) => {
      posts++;
      await Bun.sleep(300);
      await route.continue();
    });
    await Bun.sleep(SETTLE_MS);
    await page.keyboard.press(" ");
    await page.keyboard.down("d");
    await page.keyboard.press("x");
    await page.waitForFunction((previous) => document.querySelector("#tip")?.getAttribute("data-tip-id") !== previous, first);
    const next = await currentTipId(page);
    await page.keyboard.down("d"); // still held: a repeat, now over the next tip
    await page.keyboard.up("d");
    await page.keyboard.press(" "); // a burst right after the swap: the sheet of a tip not read yet
    await page.keyboard.press("x");
    await Bun.sleep(600);
    expect(posts).toBe(1);
    expect(served.context.database.db.select().from(tipFeedback).where(eq(tipFeedback.userId, person.userId)).all()).toMatchObject([{ tipId: first, action: "done" }]);
    expect(await currentTipId(page)).toBe(next);
    await page.reload();
    expect(await currentTipId(page)).toBe(next);
    await page.close();
  });

  test("no accidental actions: done and dismiss keys act only with the sheet open; no key acts on a tip just shown", async () => {
    const { page, person } = await openTip();
    const reactions = () => served.context.database.db.select().from(tipFeedback).where(eq(tipFeedback.userId, person.userId)).all();
    // Too soon after the tip appeared: nothing, even with the sheet open.
    await page.keyboard.press(" ");
    await page.keyboard.press("s");
    await Bun.sleep(SETTLE_MS);
    expect(reactions()).toEqual([]);
    // Sheet closed: d and x do nothing; s (snooze) still acts.
    await page.keyboard.press("Escape");
    await page.keyboard.press("d");
    await page.keyboard.press("x");
    await Bun.sleep(200);
    expect(reactions()).toEqual([]);
    const first = await currentTipId(page);
    await page.keyboard.press("s");
    await page.waitForFunction((previous) => document.querySelector("#tip")?.getAttribute("data-tip-id") !== previous, first);
    expect(reactions()).toMatchObject([{ tipId: first, action: "snooze" }]);
    await page.close();
  });

  test("Escape from a button of the sheet leaves focus on the tip, whose text is what a screen reader names", async () => {
    const { page } = await openTip();
    await page.keyboard.press(" ");
    await page.locator('button[value="done"]').focus();
    await page.keyboard.press("Escape");
    expect(await page.locator(".sheet").isVisible()).toBe(false);
    expect(await page.evaluate(() => document.activeElement?.matches("#tip .tip-text") ?? false)).toBe(true);
    const content = (await page.locator("#tip .tip-text").textContent())!.trim();
    const cdp = await page.context().newCDPSession(page);
    const { nodes } = await cdp.send("Accessibility.getFullAXTree");
    // Chromium's role for a <summary>.
    const toggles = nodes.filter((node) => node.role?.value === "DisclosureTriangle").map((node) => node.name?.value);
    expect(toggles).toContain(content);
    await page.close();
  });

  test("tap: the tip opens the action sheet and a button acts", async () => {
    const { page } = await openTip();
    const first = await currentTipId(page);
    await page.locator(".tip-text").click();
    await page.locator('button[value="snooze"]').click();
    await page.waitForFunction((previous) => document.querySelector("#tip")?.getAttribute("data-tip-id") !== previous, first);
    expect(await page.locator(".sheet").isVisible()).toBe(false);
    await page.close();
  });

  test("without JavaScript the same actions work as plain forms", async () => {
    const { page } = await signedInPage({ javaScriptEnabled: false });
    await page.goto(`${served.server.url}/`);
    const first = await currentTipId(page);
    await page.locator(".tip-text").click();
    await Promise.all([page.waitForURL(`${served.server.url}/`), page.locator('button[value="dismiss"]').click()]);
    const next = await currentTipId(page);
    expect(next).not.toBe(first);
    expect(served.context.database.db.select().from(tipFeedback).where(eq(tipFeedback.tipId, first!)).get()!.action).toBe("dismiss");
    await page.close();
  });

  test("installable: manifest with icons, service worker registered", async () => {
    const { page } = await signedInPage();
    await page.goto(`${served.server.url}/`);
    const manifest = await page.evaluate(async () => (await fetch("/manifest.webmanifest")).json());
    expect(manifest).toMatchObject({ display: "standalone", theme_color: "#000000", background_color: "#000000", start_url: "/" });
    for (const icon of manifest.icons as { src: string }[]) {
      expect(await page.evaluate(async (src) => (await fetch(src)).status, icon.src)).toBe(200);
    }
    const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
    expect(scope).toBe(`${served.server.url}/`);
    await page.close();
  });
});

/** Waits until `#tip` shows another tip than `previous`. */
const swappedFrom = (page: Awaited<ReturnType<typeof signedInPage>>["page"], previous: string | null) =>
  page.waitForFunction((id) => document.querySelector("#tip")?.getAttribute("data-tip-id") !== id, previous);

const LONG_TASK =
  "Write the quarterly report for the board, with the budget review, the hiring plan for the next two quarters, the notes from Tuesday's call, and the risks";

describe("the tip page keeps trust in Chromium", () => {
  test("undo by button: the tip comes back, and the reaction is kept as undone", async () => {
    const { page, person } = await openTip();
    const first = await currentTipId(page);
    await page.locator(".tip-text").click();
    await page.locator('button[value="dismiss"]').click();
    await swappedFrom(page, first);
    await expect(page.locator("#tip .undo").textContent()).resolves.toContain("Dismissed");
    await page.locator("#tip .undo button").click();
    await page.waitForFunction((id) => document.querySelector("#tip")?.getAttribute("data-tip-id") === id, first);
    const [row] = served.context.database.db.select().from(tipFeedback).where(eq(tipFeedback.userId, person.userId)).all();
    expect(row).toMatchObject({ tipId: first, action: "dismiss" });
    expect(row!.undoneAt).toBeNumber();
    expect(await page.locator("#tip .undo").count()).toBe(0);
    await page.close();
  });

  test("undo by key: z right after a done brings the tip back; the undo line fades after about 5 s", async () => {
    const { page } = await openTip({ viewport: { width: 1440, height: 900 } });
    const first = await currentTipId(page);
    await Bun.sleep(SETTLE_MS);
    await page.keyboard.press(" ");
    await page.keyboard.press("d");
    await swappedFrom(page, first);
    await page.keyboard.press("z");
    await page.waitForFunction((id) => document.querySelector("#tip")?.getAttribute("data-tip-id") === id, first);
    // Again, and this time let the line go by itself.
    await Bun.sleep(SETTLE_MS);
    await page.keyboard.press("s");
    await swappedFrom(page, first);
    await page.waitForSelector("#tip .undo", { state: "detached", timeout: 8000 });
    await page.close();
  });

  test("the sheet: closes on a tap outside, on Escape, and on its handle; no key hints on a touch screen", async () => {
    const { page } = await openTip({ touch: true });
    const sheet = page.locator(".sheet");
    await page.locator(".tip-text").tap();
    expect(await sheet.isVisible()).toBe(true);
    expect(await page.locator(".sheet kbd").first().isVisible()).toBe(false);
    await page.touchscreen.tap(30, 60);
    expect(await sheet.isVisible()).toBe(false);
    await page.locator(".tip-text").tap();
    await page.locator(".sheet .handle").tap();
    expect(await sheet.isVisible()).toBe(false);
    await page.locator(".tip-text").tap();
    await page.keyboard.press("Escape");
    expect(await sheet.isVisible()).toBe(false);
    await page.close();
  });

  test("a 180-character task held sideways (844×390): all of it on screen, and with the sheet open every action too", async () => {
    const person = signIn(served.context.database);
    // Overdue, so it outranks any advice at any hour of the day.
    served.context.database.db
      .insert(tasks)
      .values({ userId: person.userId, provider: "todoist", externalId: "long", content: LONG_TASK, priority: 4, dueKind: "date", dueValue: "2020-01-01", syncedAt: Date.now() })
      .run();
    served.context.modules.recommender.pool.invalidate(person.userId);
    // No exploration: the urgent task, not an advice drawn at random, is the tip.
    const settings = served.context.modules.recommender.settings;
    const before = settings.get();
    settings.update({ servingPolicy: "heuristic", epsilon: 0 });
    const { page } = await signedInPage({ person, touch: true, viewport: { width: 844, height: 390 } });
    await page.goto(`${served.server.url}/`);
    settings.update(before);
    await page.waitForFunction(() => "htmx" in window);
    expect((await page.locator(".tip-text").textContent())!.trim()).toBe(LONG_TASK);
    const inside = async (selector: string) => {
      const box = (await page.locator(selector).first().boundingBox())!;
      return box.y >= 0 && box.y + box.height <= 390 && box.x >= 0 && box.x + box.width <= 844;
    };
    expect(await inside(".tip-text")).toBe(true);
    await page.locator(".tip-text").tap();
    for (const action of ["done", "snooze", "dismiss", "helpful", "not_helpful"]) expect(await inside(`button[value="${action}"]`)).toBe(true);
    await page.close();
  });

  test("offline: the action is not lost in silence; the sheet says so and retries once back online", async () => {
    const { page, person } = await openTip();
    const first = await currentTipId(page);
    await page.context().setOffline(true);
    await page.locator(".tip-text").click();
    await page.locator('button[value="snooze"]').click();
    await page.waitForSelector(".sheet-status button[data-retry]");
    expect(await page.locator(".sheet-status").textContent()).toContain("Not sent");
    expect(await page.locator(".sheet").isVisible()).toBe(true);
    expect(await currentTipId(page)).toBe(first);
    await page.context().setOffline(false);
    await page.locator(".sheet-status button[data-retry]").click();
    await swappedFrom(page, first);
    expect(served.context.database.db.select().from(tipFeedback).where(eq(tipFeedback.userId, person.userId)).all()).toMatchObject([{ tipId: first, action: "snooze" }]);
    await page.close();
  });

  test("a proxy's 502 page never replaces the tip", async () => {
    const { page } = await openTip();
    const first = await currentTipId(page);
    await page.route("**/tip/*/feedback", (route) =>
      route.fulfill({ status: 502, contentType: "text/html", body: "<html><body><h1>502 Bad Gateway</h1>nginx</body></html>" }),
    );
    await page.locator(".tip-text").click();
    await page.locator('button[value="helpful"]').click();
    await page.waitForSelector(".sheet-status button[data-retry]");
    expect(await page.content()).not.toContain("Bad Gateway");
    expect(await currentTipId(page)).toBe(first);
    expect(await page.locator(".tip-text").isVisible()).toBe(true);
    await page.close();
  });

  test("the offline page tries again by itself and brings the tip back once the connection returns", async () => {
    const { page } = await signedInPage();
    await page.goto(`${served.server.url}/`);
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
    });
    // The worker controls pages loaded after it took over.
    await page.reload();
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    await page.context().setOffline(true);
    await page.reload();
    await expect(page.locator("h1").textContent()).resolves.toBe("You are offline");
    await page.context().setOffline(false);
    await page.waitForSelector("#tip", { timeout: 12_000 });
    await page.close();
  });

  test("nothing to suggest: when the next tip is likely, an offer to connect Todoist when it can be, and no actions", async () => {
    const person = signIn(served.context.database);
    const keys = served.context.database.sqlite.query<{ id: string }, []>("SELECT id FROM advice").all().map((row) => `advice:${row.id}`);
    const later = Date.now() + 2 * 3_600_000;
    served.context.database.db.insert(candidateStates).values(keys.map((candidateKey) => ({ userId: person.userId, candidateKey, hiddenUntil: later, updatedAt: Date.now() }))).run();
    const { page } = await openTip({ person });
    expect(await page.locator("#tip .tip-text").textContent()).toContain("Nothing is waiting");
    expect(await page.locator("#tip").textContent()).toMatch(/Next tip around \d\d:\d\d\./);
    expect(await page.locator("#tip form.sheet, #tip summary.tip-text").count()).toBe(0);
    // This instance has no Todoist app configured, so there is nothing to offer connecting.
    expect(await page.locator('#tip a[href="/connect"]').count()).toBe(0);
    await Bun.sleep(SETTLE_MS);
    for (const key of [" ", "d", "s", "x", "h", "n"]) await page.keyboard.press(key);
    await Bun.sleep(200);
    expect(served.context.database.db.select().from(tipFeedback).where(eq(tipFeedback.userId, person.userId)).all()).toEqual([]);
    await page.close();
  });

  test("first run: one quiet hint that the tip can be tapped, gone after the first action for good", async () => {
    const { page } = await openTip();
    expect(await page.locator("#tip .hint").textContent()).toContain("Tap it");
    const first = await currentTipId(page);
    await page.locator(".tip-text").click();
    await page.locator('button[value="snooze"]').click();
    await swappedFrom(page, first);
    expect(await page.locator("#tip .hint").count()).toBe(0);
    await page.reload();
    expect(await page.locator("#tip .hint").count()).toBe(0);
    await page.close();
  });

  test("what floats over the page never covers the tip or each other: a 500-character task, the hint, why, the undo line", async () => {
    const person = signIn(served.context.database);
    const content = `${LONG_TASK} `.repeat(4).slice(0, 500);
    served.context.database.db
      .insert(tasks)
      .values({ userId: person.userId, provider: "todoist", externalId: "longest", content, priority: 4, dueKind: "date", dueValue: "2020-01-01", syncedAt: Date.now() })
      .run();
    const settings = served.context.modules.recommender.settings;
    const before = settings.get();
    settings.update({ servingPolicy: "heuristic", epsilon: 0 });
    try {
      for (const viewport of [{ width: 844, height: 390 }, { width: 1280, height: 650 }, { width: 360, height: 640 }]) {
        const { page } = await signedInPage({ person, viewport });
        await page.goto(`${served.server.url}/`);
        await page.waitForFunction(() => "htmx" in window);
        const box = async (selector: string) => (await page.locator(selector).first().boundingBox())!;
        const apart = (a: { y: number; height: number }, b: { y: number; height: number }) => a.y + a.height <= b.y || b.y + b.height <= a.y;
        const text = await box(".tip-text");
        expect(apart(text, await box(".hint"))).toBe(true);
        // Scrolled to its end, the text clears the fixed "why".
        await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
        expect(apart(await box(".hint"), await box(".why > summary"))).toBe(true);
        await page.evaluate(() => window.scrollTo(0, 0));
        await page.locator(".tip-text").click();
        const sheet = await box(".sheet");
        expect(sheet.y >= 0 && sheet.y + sheet.height <= viewport.height).toBe(true);
        await page.close();
      }
    } finally {
      settings.update(before);
    }
  });

  test("why opens over the undo line, not under it", async () => {
    const { page } = await openTip();
    const first = await currentTipId(page);
    await page.locator(".tip-text").click();
    await page.locator('button[value="snooze"]').click();
    await swappedFrom(page, first);
    await page.locator(".why > summary").click();
    expect(await page.locator(".why p").isVisible()).toBe(true);
    expect(await page.locator("#tip .undo").isVisible()).toBe(false);
    await page.close();
  });

  test("an action the server does not answer: 'Sending…', then 'No answer yet — retry', never 'Not sent'", async () => {
    const { page } = await openTip();
    // The answer comes after htmx's 10 s limit.
    await page.route("**/tip/*/feedback", async (route) => {
      await Bun.sleep(10_500);
      await route.abort();
    });
    await page.locator(".tip-text").click();
    await page.locator('button[value="snooze"]').click();
    await page.waitForFunction(() => getComputedStyle(document.querySelector("#tip .sheet")!, "::after").content.includes("Sending"));
    await page.waitForSelector(".sheet-status button[data-retry]", { timeout: 15_000 });
    expect(await page.locator(".sheet-status").textContent()).toStartWith("No answer yet");
    await page.close();
  });

  test("with the sheet open, the keyboard stays in it: what it covers leaves the tab order", async () => {
    const { page } = await openTip();
    await page.keyboard.press(" ");
    const reached = new Set<string>();
    for (let step = 0; step < 12; step++) {
      await page.keyboard.press("Tab");
      reached.add(await page.evaluate(() => document.activeElement?.textContent?.trim() ?? ""));
    }
    expect([...reached].some((text) => text === "connect" || text === "account" || text === "why")).toBe(false);
    await page.keyboard.press("Escape");
    // Closed, the page is whole again: the next stop after the tip is "why".
    await page.waitForFunction(() => !(document.querySelector(".corner") as HTMLElement).inert);
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe("why");
    await page.close();
  });
});
