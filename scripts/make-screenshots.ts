/**
 * Photographs the tip page for the web app manifest's `screenshots` (the richer install dialog):
 * views/public/screenshot-narrow.png (390×844, a phone) and screenshot-wide.png (1440×900).
 * It runs the app as the tests do (a fresh in-memory database, one signed-in person) and opens `/`
 * in headless Chromium at device scale factor 1, and stores each in as few bytes as PNG allows. Run again after the page's design changes:
 * `bun scripts/make-screenshots.ts` (then rebuild: the files are embedded in dist/oo).
 */
import { existsSync } from "node:fs";
import { recompressPng } from "./png.ts";

const publicDir = new URL("../views/public/", import.meta.url);
const SHOTS = [
  { file: "screenshot-narrow.png", viewport: { width: 390, height: 844 } },
  { file: "screenshot-wide.png", viewport: { width: 1440, height: 900 } },
] as const;

// The app embeds both files (src/http/static.ts imports them), so it cannot start without them:
// on a first run, a 1×1 black PNG stands in until the real ones are taken.
const PLACEHOLDER = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGNgYGAAAAAEAAH2FzhVAAAAAElFTkSuQmCC", "base64");
for (const { file } of SHOTS) if (!existsSync(new URL(file, publicDir))) await Bun.write(new URL(file, publicDir), PLACEHOLDER);

const { signIn } = await import("../src/testing/auth.ts");
const { launchBrowser } = await import("../src/testing/browser.ts");
const { createTestApp, serveApp } = await import("../src/testing/harness.ts");

const context = createTestApp();
const server = serveApp(context);
const browser = await launchBrowser();
try {
  // A confirmed time zone: no first-visit detection runs, and the tip chosen fits a fixed hour's advice.
  const person = signIn(context.database, { timezone: "UTC" });
  for (const { file, viewport } of SHOTS) {
    const page = await browser.newPage({ viewport, deviceScaleFactor: 1 });
    await page.context().addCookies([{ name: "sid", value: person.token, url: server.url }]);
    const response = await page.goto(`${server.url}/`);
    if (response?.status() !== 200) throw new Error(`GET / answered ${response?.status()}`);
    await page.waitForLoadState("networkidle");
    await page.evaluate(() => document.fonts.ready);
    const taken = await page.screenshot({ type: "png", animations: "disabled", caret: "hide" });
    // Chromium writes RGB; a black page with white type is grey, which PNG stores in a third of that.
    const bytes = recompressPng(taken);
    await Bun.write(new URL(file, publicDir), bytes);
    console.log(`views/public/${file} ${viewport.width}×${viewport.height} ${(bytes.length / 1024).toFixed(1)} KB (Chromium's PNG: ${(taken.length / 1024).toFixed(1)} KB)`);
    await page.context().close();
  }
} finally {
  await browser.close();
  server.stop();
  await context.close();
}
