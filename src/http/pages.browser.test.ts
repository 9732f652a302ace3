import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { type SignedIn, signIn } from "../testing/auth.ts";
import { checkPage, launchBrowser, newCheckedPage } from "../testing/browser.ts";
import { createTestApp, serveApp, type TestContext, tempDir } from "../testing/harness.ts";
import { browserSubscription } from "../testing/fake-push.ts";
import { connectAccount } from "../testing/integrations.ts";

// A real browser on a shared two-core machine, and axe runs twice per page: Bun ignores the
// bunfig timeout for this, so it is set here.
setDefaultTimeout(20_000);

/**
 * Every page a person or the admin can reach, signed out and signed in, in the states that change
 * what it shows (notices, errors, open disclosures). Each goes through checkPage: no console
 * error, no axe violation (WCAG 2.1 A/AA and best practices), screenshots in artifacts/screenshots/.
 */

const ADMIN_TOKEN = "pages-test-admin-token-0123456789";

type Served = { context: TestContext; server: ReturnType<typeof serveApp> };

let browser: Browser;
const dataDir = tempDir();
/** Everything configured: Google and the admin token on the sign-in page, Todoist on /connect. */
let full: Served;
/** Nothing configured, as a fresh self-hosted instance starts. */
let bare: Served;

function serve(env: Record<string, string> = {}, databasePath?: string): Served {
  const context = createTestApp(env, databasePath);
  return { context, server: serveApp(context) };
}

beforeAll(async () => {
  browser = await launchBrowser();
  full = serve({
    GOOGLE_CLIENT_ID: "pages-test-client",
    GOOGLE_CLIENT_SECRET: "pages-test-secret",
    TODOIST_CLIENT_ID: "pages-test-todoist",
    TODOIST_CLIENT_SECRET: "pages-test-todoist-secret",
    // A connected account's first sync must not leave the machine: nothing listens on the discard port.
    TODOIST_API_BASE_URL: "http://127.0.0.1:9/api/v1",
    ADMIN_TOKEN,
    DATA_DIR: dataDir.path,
  }, join(dataDir.path, "oo.db")); // the console's SQL runner reads the database file from a process of its own
  bare = serve();
});

afterAll(async () => {
  await browser?.close();
  for (const served of [full, bare]) {
    served?.server.stop();
    await served?.context.close();
  }
  dataDir.cleanup();
});

/** A checked page at `path` on `app` (signed in as `as` when given), whose answer had `status`. */
async function open(path: string, { as, status = 200, app = full }: { as?: SignedIn; status?: number; app?: Served } = {}) {
  const page = await newCheckedPage(browser);
  if (as) await page.context().addCookies([{ name: "sid", value: as.token, url: app.server.url }]);
  const response = await page.goto(`${app.server.url}${path}`);
  expect(response?.status()).toBe(status);
  return page;
}

/** Opens, checks and closes a page that needs no interaction. */
async function visit(name: string, path: string, options: Parameters<typeof open>[1] = {}) {
  const page = await open(path, options);
  await checkPage(page, name);
  await page.close();
}

describe("signed out", () => {
  test.each([
    ["signin", "/signin"],
    ["signin-signed-out", "/signin?notice=signed-out"],
    ["signin-deleted", "/signin?notice=deleted"],
    ["signin-failed", "/signin?error=denied"],
    ["admin-login", "/admin/login"],
    ["terms", "/legal/terms"],
    ["privacy", "/legal/privacy"],
  ])("%s (%s)", (name, path) => visit(name, path));

  test("a missing page", () => visit("not-found", "/no-such-page", { status: 404 }));

  test("sign-in on an instance with nothing configured", () => visit("signin-closed", "/signin", { app: bare }));
  test("admin sign-in on an instance without an admin token", () => visit("admin-login-off", "/admin/login", { app: bare }));

  test("a page that needs a session sends the browser to sign in", async () => {
    const page = await open("/account");
    expect(new URL(page.url()).pathname).toBe("/signin");
    await page.close();
  });

  test("admin token sign-in with a wrong token shows the form again, explained", async () => {
    const page = await open("/admin/login");
    await page.locator("#token").fill("not-the-admin-token");
    const [refused] = await Promise.all([page.waitForNavigation(), page.locator('button[type="submit"]').click()]);
    expect(refused?.status()).toBe(401);
    await checkPage(page, "admin-login-refused");
    await page.close();
  });

  test("owner setup link: create the owner, then the spent link, then a fresh link for the owner", async () => {
    const auth = full.context.modules.auth;
    const setupPath = () => {
      const link = new URL(auth.issueSetupLink());
      return `${link.pathname}${link.search}`;
    };
    const path = setupPath();
    const page = await open(path);
    await checkPage(page, "setup-create-owner");
    await Promise.all([page.waitForURL(`${full.server.url}/admin`), page.locator('button[type="submit"]').click()]);
    await page.close();
    await visit("setup-used", path, { status: 410 });
    await visit("setup-owner-sign-in", setupPath());
    // Three pages in one story: more than one page's time.
  }, 60_000);
});

describe("signed in", () => {
  /** The tip page as a person (or an admin) sees it first, once htmx (and so the page's own script) is in. */
  async function tipPage(role: "user" | "admin" = "user") {
    const page = await open("/", { as: signIn(full.context.database, { role }) });
    await page.waitForFunction(() => "htmx" in window);
    return page;
  }

  test("the tip", async () => {
    const page = await tipPage();
    await checkPage(page, "tip");
    await page.close();
  });

  test("the tip as an admin: the console's link sits with the account's, clear of the why", async () => {
    const page = await tipPage("admin");
    const [account, admin, why] = await Promise.all(
      [page.getByRole("link", { name: "account" }), page.getByRole("link", { name: "admin" }), page.locator("#tip .why > summary")].map((locator) => locator.boundingBox()),
    );
    const viewport = page.viewportSize()!;
    // Both on the right half, so nothing sits under the centred "why".
    expect(account!.x).toBeGreaterThan(viewport.width / 2);
    expect(admin!.x).toBeGreaterThan(account!.x);
    expect(why).not.toBeNull();
    await checkPage(page, "tip-admin");
    await page.close();
  });

  test("the tip with its action sheet open", async () => {
    const page = await tipPage();
    await page.locator("#tip .sheet-toggle > summary").click();
    await expect(page.locator(".sheet").isVisible()).resolves.toBe(true);
    await checkPage(page, "tip-sheet");
    await page.close();
  });

  test("the tip with its why open", async () => {
    const page = await tipPage();
    await page.locator("#tip .why > summary").click();
    await expect(page.locator(".why p").isVisible()).resolves.toBe(true);
    await checkPage(page, "tip-why");
    await page.close();
  });

  test("offline: the service worker's notice instead of the browser's error page", async () => {
    const page = await tipPage();
    await page.evaluate(async () => void (await navigator.serviceWorker.ready));
    await page.context().setOffline(true);
    await page.reload();
    await expect(page.locator("body").textContent()).resolves.toContain("You are offline");
    await checkPage(page, "offline");
    await page.close();
  });

  test.each([
    ["account", "/account"],
    ["account-saved", "/account?saved=1"],
    ["connect", "/connect"],
    ["terms-signed-in", "/legal/terms"],
    ["privacy-signed-in", "/legal/privacy"],
  ])("%s (%s)", (name, path) => visit(name, path, { as: signIn(full.context.database) }));

  test("a missing page", () => visit("not-found-signed-in", "/no-such-page", { as: signIn(full.context.database), status: 404 }));

  test("account of the admin, whose time zone is known", () =>
    visit("account-admin", "/account", { as: signIn(full.context.database, { role: "admin", timezone: "Europe/Paris" }) }));

  test("account with the deletion confirmation open", async () => {
    const page = await open("/account", { as: signIn(full.context.database) });
    await page.locator("details.confirm > summary").click();
    await checkPage(page, "account-delete-confirm");
    await page.close();
  });

  test("account: notifications are offered where the browser takes them, and asked for only on the click", async () => {
    const page = await open("/account", { as: signIn(full.context.database) });
    const section = page.locator("#notify");
    await section.waitFor({ state: "visible" });
    await expect(section.getByRole("status").textContent()).resolves.toContain("never in your quiet hours");
    expect(await page.evaluate(() => Notification.permission)).toBe("default");
    await checkPage(page, "account-notifications");
    // This headless browser refuses the permission: the page says how to change that, and offers nothing that would not work.
    await section.getByRole("button", { name: "Notify me" }).click();
    await page.waitForFunction(() => /blocked for this site|could not be turned on here/.test(document.querySelector("[data-push-status]")?.textContent ?? ""));
    await checkPage(page, "account-notifications-refused");
    await page.close();
  });

  test("account: a push service that does not answer is said to, the button works again, and a late answer still reaches the server", async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await page.context().grantPermissions(["notifications"], { origin: full.server.url });
    // A browser whose push service is out of reach: subscribing settles only when the test says so.
    const late = (await browserSubscription("https://push.example.test/send/late")).json;
    await page.addInitScript((subscription) => {
      PushManager.prototype.subscribe = () =>
        new Promise((resolve) => {
          (window as unknown as { answerLate: () => void }).answerLate = () => resolve({ toJSON: () => subscription } as unknown as PushSubscription);
        });
    }, late);
    await page.clock.install();
    const person = signIn(full.context.database);
    await page.context().addCookies([{ name: "sid", value: person.token, url: full.server.url }]);
    await page.goto(`${full.server.url}/account`);
    const section = page.locator("#notify");
    await section.waitFor({ state: "visible" });
    const notifyMe = section.getByRole("button", { name: "Notify me" });
    await notifyMe.click();
    await page.waitForFunction(() => (document.querySelector("[data-push-on]") as HTMLButtonElement).disabled);
    await page.clock.fastForward(21_000);
    await page.waitForFunction(() => /push service did not answer within 20 s/.test(document.querySelector("[data-push-status]")?.textContent ?? ""));
    expect(await notifyMe.isEnabled()).toBe(true);
    const devices = () => full.context.modules.notifier.devices(person.userId);
    expect(devices()).toBe(0);
    // The browser answers after all: the server learns of this device.
    await page.evaluate(() => (window as unknown as { answerLate: () => void }).answerLate());
    const deadline = Date.now() + 5_000;
    while (devices() === 0 && Date.now() < deadline) await Bun.sleep(25);
    expect(devices()).toBe(1);
    await page.close();
  });

  test("the tip page offers notifications once on this device, to someone past their first tip, and Not now closes it", async () => {
    const firstTimer = await open("/", { as: signIn(full.context.database) });
    await firstTimer.waitForFunction(() => "htmx" in window);
    expect(await firstTimer.locator("#push-offer").isHidden()).toBe(true);
    await firstTimer.close();

    const person = signIn(full.context.database);
    const { recommender, feedback } = full.context.modules.recommender;
    const tip = await recommender.recommend({ id: person.userId, timezone: "UTC" });
    await feedback.give(person.userId, tip.id, "snooze");
    const page = await open("/", { as: person });
    const offer = page.locator("#push-offer");
    await offer.waitFor({ state: "visible" });
    await checkPage(page, "tip-push-offer");
    await offer.getByRole("button", { name: "Not now" }).click();
    expect(await offer.isHidden()).toBe(true);
    await page.reload();
    await page.waitForFunction(() => "htmx" in window);
    expect(await offer.isHidden()).toBe(true);
    await page.close();
  });

  test("the admin console's overview, with a few days of tips and reactions", async () => {
    const { recommender, feedback } = full.context.modules.recommender;
    const now = Date.now();
    for (let day = 0; day < 12; day++) {
      const person = signIn(full.context.database);
      for (let n = 0; n <= day % 4; n++) {
        const tip = await recommender.recommend({ id: person.userId, timezone: "UTC" }, { now: now - day * 86_400_000 - n * 60_000 });
        const action = (["done", "helpful", "snooze", "dismiss", "not_helpful"] as const)[(day + n) % 5];
        if ((day + n) % 3 !== 0) await feedback.give(person.userId, tip.id, action!, { now: now - day * 86_400_000 - n * 60_000 + 1000 });
      }
    }
    await visit("admin-overview", "/admin", { as: signIn(full.context.database, { role: "admin" }) });
  });

  test("the admin console's people: signed in with the admin token, a search, a person, an action asked then done, the audit log", async () => {
    const person = signIn(full.context.database, { email: "ada.console@example.test", name: "Ada Console" });
    await full.context.modules.recommender.recommender.recommend({ id: person.userId, timezone: "UTC" });
    const page = await open("/admin/login");
    await page.locator("#token").fill(ADMIN_TOKEN);
    await Promise.all([page.waitForURL(/\/admin$/), page.locator("#token").press("Enter")]);
    await page.getByRole("link", { name: "People" }).click();
    await page.waitForURL(/\/admin\/users$/);
    await checkPage(page, "admin-users");
    await page.locator("#q").fill("ada.console");
    await Promise.all([page.waitForURL(/q=ada.console/), page.getByRole("button", { name: "Search" }).click()]);
    await checkPage(page, "admin-users-search");
    await Promise.all([page.waitForURL(new RegExp(`/admin/users/${person.userId}$`)), page.getByRole("link", { name: "ada.console@example.test" }).click()]);
    await expect(page.locator("h1").textContent()).resolves.toBe("ada.console@example.test");
    await checkPage(page, "admin-user");
    await Promise.all([page.waitForURL(/\/actions$/), page.getByRole("button", { name: "Sign out everywhere" }).click()]);
    await expect(page.locator("main").textContent()).resolves.toContain("End every session of this person?");
    await checkPage(page, "admin-user-confirm");
    await page.getByRole("button", { name: "Sign out everywhere" }).click();
    await page.getByRole("status").waitFor();
    await expect(page.getByRole("status").textContent()).resolves.toContain("Signed out everywhere: 1 session ended.");
    await checkPage(page, "admin-user-done");
    await page.getByRole("link", { name: "Audit log" }).click();
    await page.waitForURL(/\/admin\/audit$/);
    await expect(page.locator("tbody").textContent()).resolves.toContain("user.end-sessions");
    await checkPage(page, "admin-audit");
    await page.close();
  }, 60_000);

  test("the admin console's events (the live tail polls), jobs (run one now) and logs", async () => {
    const admin = signIn(full.context.database, { role: "admin" });
    const events = await open("/admin/events", { as: admin });
    await events.waitForResponse((response) => response.url().includes("/admin/events/live") && response.status() === 200);
    await checkPage(events, "admin-events");
    await events.close();
    const jobs = await open("/admin/jobs", { as: admin });
    await Promise.all([jobs.waitForURL(/\/admin\/jobs\?started=audit\.retention$/), jobs.getByRole("button", { name: "Run now: audit.retention" }).click()]);
    await expect(jobs.getByRole("status").textContent()).resolves.toContain("Started audit.retention");
    await checkPage(jobs, "admin-jobs");
    await jobs.close();
    full.context.log.warn({ reason: "a sample problem for the screenshot" }, "todoist sync failed");
    await visit("admin-logs", "/admin/logs", { as: admin });
  }, 60_000);

  test("the admin console's SQL runner: a query run, its rows, and a refusal explained", async () => {
    const page = await open("/admin/sql", { as: signIn(full.context.database, { role: "admin" }) });
    // The form posts to the page's own address: wait for the answer to the post, then for the page it drew.
    const run = async (sql: string) => {
      await page.locator("#sql").fill(sql);
      await Promise.all([
        page.waitForResponse((response) => response.url().endsWith("/admin/sql") && response.request().method() === "POST"),
        page.getByRole("button", { name: "Run", exact: true }).click(),
      ]);
      await page.waitForLoadState("load");
    };
    await run("SELECT role, count(*) AS people FROM users GROUP BY role ORDER BY role");
    await expect(page.getByRole("status").textContent()).resolves.toMatch(/^\d+ rows? in \d+ ms$/);
    await expect(page.locator("thead").textContent()).resolves.toBe("rolepeople");
    await checkPage(page, "admin-sql");
    await run("DELETE FROM users");
    await expect(page.getByRole("alert").textContent()).resolves.toContain("Only reads run here");
    await page.close();
  }, 60_000);

  test("the admin console's settings: a change saved, and what changed said", async () => {
    const page = await open("/admin/settings", { as: signIn(full.context.database, { role: "admin" }) });
    await checkPage(page, "admin-settings");
    const before = full.context.modules.notifier.settings.get().dailyCap;
    await page.locator("#notifier-dailyCap").fill(String(before === 2 ? 3 : 2));
    await Promise.all([page.waitForURL(/\/admin\/settings\/notifier$/), page.getByRole("button", { name: "Save notifications settings" }).click()]);
    await expect(page.getByRole("status").textContent()).resolves.toContain(`notifier: dailyCap ${before} → `);
    await checkPage(page, "admin-settings-saved");
    full.context.modules.notifier.settings.update({ dailyCap: before });
    await page.close();
  }, 60_000);

  test("the admin console's documentation", () => visit("admin-docs", "/admin/docs", { as: signIn(full.context.database, { role: "admin" }) }));

  test("the admin console's data quality", () => visit("admin-data-quality", "/admin/data-quality", { as: signIn(full.context.database, { role: "admin" }) }));

  test("the admin console's health, refreshing itself", async () => {
    await full.context.jobs.trigger("health.checks");
    const page = await open("/admin/health", { as: signIn(full.context.database, { role: "admin" }) });
    await expect(page.locator("#health article").count()).resolves.toBe(7);
    await page.waitForResponse((response) => response.url().endsWith("/admin/health/report") && response.status() === 200, { timeout: 15_000 });
    await checkPage(page, "admin-health");
    await page.close();
  }, 60_000);

  test("the admin console's backups: back up now, then the list to download from", async () => {
    const page = await open("/admin/backups", { as: signIn(full.context.database, { role: "admin" }) });
    await Promise.all([page.waitForURL(/\/admin\/backups\?done=oo-/), page.getByRole("button", { name: "Back up now" }).click()]);
    await expect(page.getByRole("status").textContent()).resolves.toMatch(/^Backed up: oo-\d{8}T\d{6}Z\.db\.$/);
    await checkPage(page, "admin-backups");
    await page.close();
  }, 60_000);

  test("connect on an instance without Todoist", () => visit("connect-unavailable", "/connect", { as: signIn(bare.context.database), app: bare }));

  describe("with Todoist connected", () => {
    let person: SignedIn;
    beforeAll(() => {
      person = connectAccount(full.context, { id: "pages-test", token: "pages-test-token" });
    });

    test("connect, with the notice after connecting", () => visit("connect-connected", "/connect?todoist=connected", { as: person }));

    test("connect, when Todoist no longer accepts oO's access", () => {
      full.context.modules.integrations.store.markNeedsReconnect(person.userId, "todoist", "test");
      return visit("connect-needs-reconnect", "/connect", { as: person });
    });
  });
});

describe("no dead ends", () => {
  test("every page but the tip leads back to it", async () => {
    const person = signIn(full.context.database);
    for (const path of ["/account", "/connect", "/legal/terms", "/legal/privacy"]) {
      const page = await open(path, { as: person });
      await Promise.all([page.waitForURL(`${full.server.url}/`), page.getByRole("link", { name: "← Your tip" }).click()]);
      expect(await page.locator("#tip").count()).toBe(1);
      await page.close();
    }
  });

  test("admin-token sign-in lands on the console, which leads to the tip; signing out says so", async () => {
    const page = await open("/signin");
    await page.getByRole("link", { name: "Sign in with the admin token" }).click();
    await page.getByLabel(/Admin token/).fill(ADMIN_TOKEN);
    await Promise.all([page.waitForURL(`${full.server.url}/admin`), page.getByRole("button", { name: "Sign in for 24 hours" }).click()]);
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Overview");
    await Promise.all([page.waitForURL(`${full.server.url}/`), page.getByRole("link", { name: "← Your tip" }).click()]);
    expect(await page.locator("#tip").count()).toBe(1);
    await page.goto(`${full.server.url}/account`);
    await Promise.all([page.waitForURL(/\/signin\?notice=signed-out$/), page.getByRole("button", { name: "Sign out" }).click()]);
    expect(await page.getByRole("status").textContent()).toBe("You are signed out.");
    await page.close();
  });
});
