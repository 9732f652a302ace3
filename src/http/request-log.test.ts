import { describe, expect, test } from "bun:test";
import { issueSetupLink } from "../auth/service.ts";
import { signIn } from "../testing/auth.ts";
import { BASE, createTestApp, type TestContext } from "../testing/harness.ts";

const ADMIN_TOKEN = "request-log-admin-token-0123456789";

const form = (fields: Record<string, string>, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded", origin: BASE, ...headers },
  body: new URLSearchParams(fields).toString(),
});
const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json", origin: BASE, ...headers },
  body: JSON.stringify(body),
});

/** The request's line, found by the trace id its response carries; the hook runs just after the response. */
async function loggedLine(context: TestContext, response: Response): Promise<Record<string, unknown>> {
  const traceId = response.headers.get("traceparent")?.split("-")[1];
  expect(traceId).toMatch(/^[0-9a-f]{32}$/);
  for (let tries = 0; tries < 100; tries++) {
    const line = context.lines.find((candidate) => candidate.msg === "request" && candidate.traceId === traceId);
    if (line) return line;
    await Bun.sleep(1);
  }
  throw new Error(`no request line for trace ${traceId}`);
}

/** Sends the request and checks its one log line names the status the client got; returns the response. */
async function expectHonestLine(context: TestContext, path: string, init: RequestInit, expected: number) {
  const response = await context.request(path, init);
  expect([path, response.status]).toEqual([path, expected]);
  const line = await loggedLine(context, response);
  expect([path, line.status]).toEqual([path, response.status]);
  expect(line.method).toBe(init.method ?? "GET");
  return response;
}

describe("the request log states the status that was sent", () => {
  test("for every kind of route: JSON, errors, pages, re-shown forms, redirects, 404, CSRF", async () => {
    const context = createTestApp({ ADMIN_TOKEN });
    const person = signIn(context.database);
    const as = { cookie: person.cookie };
    const link = issueSetupLink(context.database.db, context.config.apiBaseUrl);
    const setupToken = new URL(link).searchParams.get("token")!;

    // JSON: success, AppError (unknown tip 404), validation (400), unauthenticated (401)
    await expectHonestLine(context, "/api/user/profile", { headers: as }, 200);
    await expectHonestLine(context, "/api/tip/no-such-tip/feedback", json({ action: "done" }, as), 404);
    await expectHonestLine(context, "/api/tip/no-such-tip/feedback", json({ action: "explode" }, as), 400);
    await expectHonestLine(context, "/api/user/profile", {}, 401);
    // Pages: plain, and with a status the handler set (a spent setup link: 410, GET and POST)
    await expectHonestLine(context, "/signin", {}, 200);
    await expectHonestLine(context, "/setup", form({ token: setupToken }), 303);
    await expectHonestLine(context, `/setup?token=${setupToken}`, {}, 410);
    await expectHonestLine(context, "/setup", form({ token: setupToken }), 410);
    // Forms the error plugin shows again: a bad time zone (400), a wrong admin token (401)
    const account = (timezone: string) => form({ timezone, quietHoursStart: "22:00", quietHoursEnd: "07:00" }, as);
    const refused = await expectHonestLine(context, "/account", account("Mars/Olympus_Mons"), 400);
    expect(await refused.text()).toContain('<form method="post" action="/account">');
    await expectHonestLine(context, "/admin/login", form({ token: "not-the-admin-token-at-all" }), 401);
    // Redirects: returned by a handler, and sent by a guard
    await expectHonestLine(context, "/account", account("Europe/Paris"), 303);
    await expectHonestLine(context, "/account", {}, 303);
    await expectHonestLine(context, "/account", { headers: { "hx-request": "true" } }, 401);
    // Unknown paths, as a page and under /api
    await expectHonestLine(context, "/no-such-page", {}, 404);
    await expectHonestLine(context, "/api/no-such-thing", {}, 404);
    // Refused before any handler: a cross-site form post and a cross-site API call
    const crossSite = { origin: "https://evil.example", "sec-fetch-site": "cross-site" };
    await expectHonestLine(context, "/account", form({ timezone: "UTC" }, { ...as, ...crossSite }), 403);
    await expectHonestLine(context, "/api/auth/logout", { method: "POST", headers: crossSite }, 403);
  });

  test("the admin sign-in form: every wrong token logged as answered, 401s then 429", async () => {
    const context = createTestApp({ ADMIN_TOKEN });
    const seen: number[] = [];
    for (let attempt = 0; attempt < 50 && !seen.includes(429); attempt++) {
      const response = await context.request("/admin/login", form({ token: `wrong-token-${attempt}`, next: "/admin" }));
      expect((await loggedLine(context, response)).status).toBe(response.status);
      seen.push(response.status);
    }
    expect(seen[0]).toBe(401);
    expect(seen.at(-1)).toBe(429);
    expect(new Set(seen)).toEqual(new Set([401, 429]));
  });
});
