import { afterAll, beforeAll } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { AxeBuilder } from "@axe-core/playwright";
import { type Browser, type BrowserContextOptions, chromium, type Page } from "playwright-core";
import type { Env } from "../config.ts";
import { createTestApp, serveApp, type TestContext } from "./harness.ts";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * Headless Chromium from the system package (`apt-get install -y chromium`); `bun run test`
 * installs it when missing. Flags keep it off the network and quiet in containers.
 */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`Chromium not found at ${CHROMIUM_PATH}: apt-get install -y chromium`);
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
    ],
  });
}

/**
 * A browser and an app on a real port for one test file, started before its tests and stopped
 * after them; read the fields inside tests (they are set once `beforeAll` has run).
 */
export function browserAndApp(env: Env = {}) {
  const served = {} as { browser: Browser; context: TestContext; server: ReturnType<typeof serveApp> };
  beforeAll(async () => {
    served.browser = await launchBrowser();
    served.context = createTestApp(env);
    served.server = serveApp(served.context);
  });
  afterAll(async () => {
    await served.browser?.close();
    served.server?.stop();
    await served.context?.close();
  });
  return served;
}

/** Where checkPage leaves its screenshots; CI keeps this folder (`.ci/run` prints it). */
export const SCREENSHOT_DIR = join(import.meta.dir, "../../artifacts/screenshots");

/** Every size a page is checked and photographed at: a phone and a laptop. */
export const VIEWPORTS = { phone: { width: 390, height: 844 }, desktop: { width: 1440, height: 900 } } as const;

/** WCAG 2.0 and 2.1, levels A and AA, plus axe's best practices. */
const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"];

/** What each watched page logged as an error, from the moment it was opened. */
const consoleErrors = new WeakMap<Page, string[]>();

/**
 * A new page whose console errors and uncaught exceptions are recorded from the start, so
 * checkPage can see a failure that happened during load, before the test looked.
 */
export async function newCheckedPage(browser: Browser, options: BrowserContextOptions = {}): Promise<Page> {
  // A context of its own, not browser.newPage(): axe opens a second page in it to gather its results.
  const context = await browser.newContext({ viewport: VIEWPORTS.phone, ...options });
  const page = await context.newPage();
  // Nothing on these pages takes seconds: fail with Playwright's message well before the test's
  // timeout, at which Bun would kill the browser and every later test with it.
  page.setDefaultTimeout(8_000);
  page.once("close", () => void context.close().catch(() => {}));
  const errors: string[] = [];
  consoleErrors.set(page, errors);
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    const { url } = message.location();
    // An error page's own status is what it is for, not a fault in it (the test asserts that status),
    // and a request failing because a test took the browser offline is that test's point; any other
    // resource that fails to load still counts.
    if (message.text().startsWith("Failed to load resource") && url === page.url()) return;
    if (message.text().includes("net::ERR_INTERNET_DISCONNECTED")) return;
    errors.push(`console: ${message.text()}${url ? ` (${url})` : ""}`);
  });
  page.on("pageerror", (error) => errors.push(`uncaught: ${error.message}`));
  return page;
}

type Violation = Awaited<ReturnType<AxeBuilder["analyze"]>>["violations"][number];

const describeViolation = (violation: Violation) =>
  `${violation.id} (${violation.impact ?? "no impact"}): ${violation.help}\n` +
  violation.nodes.map((node) => `    at ${node.target.map(String).join(" > ")}`).join("\n");

/**
 * The checks every page must pass, in its current state: nothing logged as an error since it was
 * opened (by newCheckedPage), no axe violation at either size, and a screenshot at each size
 * (`<name>-phone.png`, `<name>-desktop.png`) for a person to look at.
 */
export async function checkPage(page: Page, name: string): Promise<void> {
  const errors = consoleErrors.get(page);
  if (!errors) throw new Error("checkPage needs a page opened with newCheckedPage");
  // Each violation once, with the sizes it shows at: a layout can hide or overlap things at one size only.
  const violations = new Map<string, string[]>();
  for (const [size, viewport] of Object.entries(VIEWPORTS)) {
    await page.setViewportSize(viewport);
    // Settled, so the screenshot and axe see the page a person sees: no request in flight, fonts in.
    await page.waitForLoadState("networkidle");
    await page.evaluate(() => document.fonts.ready);
    await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}-${size}.png`), fullPage: false });
    const results = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
    for (const violation of results.violations) {
      const text = describeViolation(violation);
      violations.set(text, [...(violations.get(text) ?? []), size]);
    }
  }
  const problems = [...[...violations].map(([text, sizes]) => `[${sizes.join(", ")}] ${text}`), ...errors];
  if (problems.length > 0) throw new Error(`${name} (${page.url()}):\n  ${problems.join("\n  ")}`);
}
