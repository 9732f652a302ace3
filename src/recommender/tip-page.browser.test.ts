import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { eq } from "drizzle-orm";
import type { Browser } from "playwright-core";
import { tipFeedback } from "../db/schema.ts";
import { signIn } from "../testing/auth.ts";
import { launchBrowser } from "../testing/browser.ts";
import { createTestApp, serveApp, type TestContext } from "../testing/harness.ts";

// A real browser on a shared two-core machine: a test that waits out the page's key guard can
// pass 5 s when the rest of the suite runs alongside.
setDefaultTimeout(20_000);

let browser: Browser;
let context: TestContext;
let server: ReturnType<typeof serveApp>;

beforeAll(async () => {
  browser = await launchBrowser();
  context = createTestApp();
  server = serveApp(context);
});

afterAll(async () => {
  await browser?.close();
  server?.stop();
  await context?.close();
});

async function signedInPage(options: { javaScriptEnabled?: boolean } = {}) {
  const person = signIn(context.database);
  const page = await browser.newPage({ javaScriptEnabled: options.javaScriptEnabled ?? true, viewport: { width: 390, height: 844 } });
  await page.context().addCookies([{ name: "sid", value: person.token, url: server.url }]);
  return { page, person };
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
    await page.goto(`${server.url}/`);
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
    const feedback = context.database.db.select().from(tipFeedback).where(eq(tipFeedback.tipId, first!)).get()!;
    expect(feedback).toMatchObject({ action: "done", userId: person.userId });
    expect(await page.evaluate(() => (window as unknown as { layoutShift: number }).layoutShift)).toBe(0);
    await page.close();
  });

  test("one action per tip: a key pressed while the first action is on its way, or a key held into the next tip, does nothing", async () => {
    const { page, person } = await signedInPage();
    await page.goto(`${server.url}/`);
    await page.waitForFunction(() => "htmx" in window);
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
    expect(context.database.db.select().from(tipFeedback).where(eq(tipFeedback.userId, person.userId)).all()).toMatchObject([{ tipId: first, action: "done" }]);
    expect(await currentTipId(page)).toBe(next);
    await page.reload();
    expect(await currentTipId(page)).toBe(next);
    await page.close();
  });

  test("no accidental actions: done and dismiss keys act only with the sheet open; no key acts on a tip just shown", async () => {
    const { page, person } = await signedInPage();
    await page.goto(`${server.url}/`);
    await page.waitForFunction(() => "htmx" in window);
    const reactions = () => context.database.db.select().from(tipFeedback).where(eq(tipFeedback.userId, person.userId)).all();
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
    const { page } = await signedInPage();
    await page.goto(`${server.url}/`);
    await page.waitForFunction(() => "htmx" in window);
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
    const { page } = await signedInPage();
    await page.goto(`${server.url}/`);
    await page.waitForFunction(() => "htmx" in window);
    const first = await currentTipId(page);
    await page.locator(".tip-text").click();
    await page.locator('button[value="snooze"]').click();
    await page.waitForFunction((previous) => document.querySelector("#tip")?.getAttribute("data-tip-id") !== previous, first);
    expect(await page.locator(".sheet").isVisible()).toBe(false);
    await page.close();
  });

  test("without JavaScript the same actions work as plain forms", async () => {
    const { page } = await signedInPage({ javaScriptEnabled: false });
    await page.goto(`${server.url}/`);
    const first = await currentTipId(page);
    await page.locator(".tip-text").click();
    await Promise.all([page.waitForURL(`${server.url}/`), page.locator('button[value="dismiss"]').click()]);
    const next = await currentTipId(page);
    expect(next).not.toBe(first);
    expect(context.database.db.select().from(tipFeedback).where(eq(tipFeedback.tipId, first!)).get()!.action).toBe("dismiss");
    await page.close();
  });

  test("installable: manifest with icons, service worker registered", async () => {
    const { page } = await signedInPage();
    await page.goto(`${server.url}/`);
    const manifest = await page.evaluate(async () => (await fetch("/manifest.webmanifest")).json());
    expect(manifest).toMatchObject({ display: "standalone", theme_color: "#000000", background_color: "#000000", start_url: "/" });
    for (const icon of manifest.icons as { src: string }[]) {
      expect(await page.evaluate(async (src) => (await fetch(src)).status, icon.src)).toBe(200);
    }
    const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
    expect(scope).toBe(`${server.url}/`);
    await page.close();
  });
});
