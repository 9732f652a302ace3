import { afterEach, describe, expect, test } from "bun:test";
import { signIn } from "../testing/auth.ts";
import { createTestApp, type TestContext } from "../testing/harness.ts";
import { DAY_MS } from "../time.ts";

const contexts: TestContext[] = [];
afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close();
});

function app() {
  const context = createTestApp();
  contexts.push(context);
  context.modules.recommender.settings.update({ servingPolicy: "heuristic", epsilon: 0 });
  return context;
}

describe("admin console: overview", () => {
  test("the stats count people, tips and reactions of the last 30 days, the same in JSON and on the page", async () => {
    const context = app();
    const { recommender, feedback } = context.modules.recommender;
    const now = Date.now();
    const serve = (userId: string, at: number) => recommender.recommend({ id: userId, timezone: "UTC" }, { now: at });
    const [ana, ben, old] = [signIn(context.database), signIn(context.database), signIn(context.database)];
    const first = await serve(ana.userId, now - 60_000);
    await feedback.give(ana.userId, first.id, "done", { now: now - 50_000 });
    const second = await serve(ana.userId, now - 40_000);
    await feedback.give(ana.userId, second.id, "dismiss", { now: now - 30_000 });
    await serve(ben.userId, now - 3 * DAY_MS);
    await serve(old.userId, now - 40 * DAY_MS);

    const admin = signIn(context.database, { role: "admin" });
    const response = await context.request("/api/admin/stats", { headers: { cookie: admin.cookie } });
    expect(response.status).toBe(200);
    const stats = await response.json();
    expect(stats).toMatchObject({ active: { day: 1, week: 2, month: 2 }, tipsServed: 3, reactions: { done: 1, dismiss: 1 } });
    expect(stats.reactionRate).toBeCloseTo(2 / 3, 12);
    expect(stats.days).toHaveLength(30);
    expect(stats.days.at(-1)).toMatchObject({ day: new Date(now).toISOString().slice(0, 10), tips: 2, reactions: { done: 1, dismiss: 1 } });

    const page = await (await context.request("/admin", { headers: { cookie: admin.cookie } })).text();
    expect(page).toContain("<h1>Overview</h1>");
    expect(page).toContain("66.7 %");
    expect(page.match(/<svg /g)).toHaveLength(2);
    expect(page).toContain('aria-label="Tips served per day (UTC).');
  });

  test("only admins: others get 403, signed out goes to the admin sign-in, and the admin token lands here", async () => {
    const context = app();
    const person = signIn(context.database);
    expect((await context.request("/api/admin/stats", { headers: { cookie: person.cookie } })).status).toBe(403);
    expect((await context.request("/admin", { headers: { cookie: person.cookie } })).status).toBe(403);
    expect((await context.request("/api/admin/stats")).status).toBe(401);
    const signedOut = await context.request("/admin");
    expect(signedOut.status).toBe(303);
    expect(signedOut.headers.get("location")).toBe("/admin/login?next=%2Fadmin");
  });
});
