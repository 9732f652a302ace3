import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { auditLog, banditStates, integrations, sessions, tasks, users } from "../db/schema.ts";
import { connectAccount } from "../testing/integrations.ts";
import type { DataQuality } from "./model.ts";
import { signIn } from "../testing/auth.ts";
import { createTestApp, type TestContext, tempDir } from "../testing/harness.ts";
import { rowCounts, settingsForm } from "../testing/requests.ts";
import { DAY_MS } from "../time.ts";
import { ALL_CLEAR } from "../recommender/recommend.ts";

const contexts: TestContext[] = [];
afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close();
});

function app(env: Record<string, string> = {}) {
  const context = createTestApp(env);
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
    // Ben opens oO today with nothing waiting: active, but the all-clear line is no tip served.
    context.database.sqlite.run(
      "INSERT INTO tip_views (id, user_id, candidate_key, kind, source, content, why, policy, served_at) VALUES ('clear-1', ?, ?, 'advice', 'advice', 'Nothing is waiting', '', 'heuristic', ?)",
      [ben.userId, ALL_CLEAR.key, now - 10_000],
    );

    const admin = signIn(context.database, { role: "admin" });
    const response = await context.request("/api/admin/stats", { headers: { cookie: admin.cookie } });
    expect(response.status).toBe(200);
    const stats = await response.json();
    expect(stats).toMatchObject({ active: { day: 2, week: 2, month: 2 }, tipsServed: 3, reactions: { done: 1, dismiss: 1 } });
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

const get = (context: TestContext, path: string, cookie: string) => context.request(path, { headers: { cookie } });
const postJson = (context: TestContext, path: string, cookie: string, body: unknown) =>
  context.request(path, { method: "POST", headers: { cookie, "content-type": "application/json" }, body: JSON.stringify(body) });
const postForm = (context: TestContext, path: string, cookie: string, fields: Record<string, string>) =>
  context.request(path, { method: "POST", headers: { cookie, "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields).toString() });

describe("admin console: the way in", () => {
  test("the tip page links to the console for admins only", async () => {
    const context = app();
    const tipPage = async (cookie: string) => (await get(context, "/", cookie)).text();
    expect(await tipPage(signIn(context.database, { role: "admin" }).cookie)).toContain('<a href="/admin">admin</a>');
    expect(await tipPage(signIn(context.database).cookie)).not.toContain('href="/admin"');
  });
});

describe("admin console: people", () => {
  test("every console endpoint: signed out 401, not an admin 403", async () => {
    const context = app();
    const person = signIn(context.database);
    const endpoints = context.app.routes.filter((route) => route.path.startsWith("/api/admin/"));
    expect(endpoints.length).toBeGreaterThan(15);
    // Bodies and parameters the schemas accept: the refusal is about who asks, not what.
    const bodies: Record<string, unknown> = {
      "/api/admin/users/:id/actions": { action: "end-sessions" },
      "/api/admin/sql": { sql: "SELECT 1" },
      "/api/admin/saved-queries": { name: "One", sql: "SELECT 1" },
    };
    for (const { method, path } of endpoints) {
      const target = path.replace(":id", path.includes("saved-queries") ? "1" : person.userId).replace(":name", path.includes("backups") ? "oo-20261205T120000Z.db" : "retention");
      const init = { method, headers: { "content-type": "application/json" }, body: method === "GET" ? undefined : JSON.stringify(bodies[path] ?? {}) };
      expect([method, path, (await context.request(target, init)).status]).toEqual([method, path, 401]);
      expect([method, path, (await context.request(target, { ...init, headers: { ...init.headers, cookie: person.cookie } })).status]).toEqual([method, path, 403]);
    }
    expect((await postJson(context, `/api/admin/users/${person.userId}/actions`, person.cookie, { action: "end-sessions" })).status).toBe(403);
    expect((await postForm(context, `/admin/users/${person.userId}/actions`, person.cookie, { action: "delete", confirm: "yes" })).status).toBe(403);
    expect(context.database.db.select().from(users).where(eq(users.id, person.userId)).get()).toBeDefined();
    expect((await get(context, "/admin/users", person.cookie)).status).toBe(403);
    expect((await get(context, "/admin/audit", person.cookie)).status).toBe(403);
  });

  test("the list pages through everyone newest first and searches email, name and id; bad parameters get 400", async () => {
    const context = app();
    const admin = signIn(context.database, { role: "admin", email: "root@example.test" });
    const people = Array.from({ length: 5 }, (_, index) => signIn(context.database, { email: `p${index}@example.test`, name: index === 3 ? "Ada Lovelace" : "Someone" }));
    // Created in one millisecond or not, the order is by time then id, and no page repeats anyone.
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const response: Response = await get(context, `/api/admin/users?limit=2${after ? `&after=${after}` : ""}`, admin.cookie);
      expect(response.status).toBe(200);
      const page = (await response.json()) as { users: { id: string }[]; next: string | null };
      expect(page.users.length).toBeLessThanOrEqual(2);
      seen.push(...page.users.map((user) => user.id));
      after = page.next;
    } while (after);
    expect(seen.toSorted()).toEqual([admin.userId, ...people.map((person) => person.userId)].toSorted());
    expect(new Set(seen).size).toBe(6);

    const search = async (q: string) => ((await (await get(context, `/api/admin/users?q=${encodeURIComponent(q)}`, admin.cookie)).json()) as { users: { id: string }[] }).users.map((user) => user.id);
    expect(await search("lovelace")).toEqual([people[3]!.userId]);
    expect(await search("p1@")).toEqual([people[1]!.userId]);
    expect(await search(people[4]!.userId)).toEqual([people[4]!.userId]);
    // LIKE's wildcards are searched for as themselves.
    expect(await search("%")).toEqual([]);

    const page = await (await get(context, "/admin/users?q=lovelace", admin.cookie)).text();
    expect(page).toContain(`href="/admin/users/${people[3]!.userId}"`);
    expect(page).toContain('hx-history="false"');
    expect(page).not.toContain("p1@example.test");

    for (const bad of ["limit=0", "limit=101", "limit=two", "limit=2.5", "after=%2F%2F", "after=bm90LWEtY3Vyc29y", `q=${"x".repeat(201)}`]) {
      const response = await get(context, `/api/admin/users?${bad}`, admin.cookie);
      expect([bad, response.status]).toEqual([bad, 400]);
    }
    // A paging number says which parameter and what it takes.
    for (const [path, message] of [
      ["/api/admin/users?limit=2.5", "limit must be a whole number from 1 to 100."],
      ["/api/admin/users?limit=two", "limit must be a whole number from 1 to 100."],
      ["/api/admin/events/history?before=1.5", "before must be a whole number of at least 1."],
      ["/api/admin/audit?limit=0", "limit must be a whole number from 1 to 100."],
    ]) {
      expect(((await (await get(context, path!, admin.cookie)).json()) as { error: { message: string } }).error.message).toBe(message!);
    }
  });

  test("a person's page: profile, sessions, integrations, tips and consents; an unknown id is 404", async () => {
    const context = app();
    const admin = signIn(context.database, { role: "admin" });
    const person = signIn(context.database, { email: "ada@example.test", name: "<b>Ada</b>" });
    await context.modules.recommender.recommender.recommend({ id: person.userId, timezone: "UTC" });
    const detail = await (await get(context, `/api/admin/users/${person.userId}`, admin.cookie)).json();
    expect(detail.profile).toMatchObject({ id: person.userId, email: "ada@example.test", role: "user" });
    expect(detail.sessions).toHaveLength(1);
    expect(detail.tips).toHaveLength(1);
    expect(detail.tips[0]).toMatchObject({ channel: "page", reaction: null });
    expect(detail.integrations).toEqual([]);
    expect(detail.learnt).toEqual({ pulls: 0 });
    const page = await (await get(context, `/admin/users/${person.userId}`, admin.cookie)).text();
    expect(page).toContain("&lt;b&gt;Ada&lt;/b&gt;");
    expect(page).toContain(detail.tips[0].content.replaceAll("'", "&#39;"));
    expect((await get(context, "/api/admin/users/no-such-person", admin.cookie)).status).toBe(404);
    expect((await get(context, "/admin/users/no-such-person", admin.cookie)).status).toBe(404);
  });

  test("each action does what it says, is audited with its result and published; a refused one changes nothing", async () => {
    const context = app();
    const admin = signIn(context.database, { role: "admin" });
    const person = signIn(context.database);
    signIn(context.database, { email: undefined }); // someone else, untouched
    const { bandits } = context.modules.recommender;
    bandits.save(person.userId, "linucb", { d: 1, A_inv: [[0.5]], b: [1], pulls: 1, reward_sum: 1 });
    const act = (action: string, userId = person.userId) => postJson(context, `/api/admin/users/${userId}/actions`, admin.cookie, { action });

    const ended = await act("end-sessions");
    expect(ended.status).toBe(200);
    expect(await ended.json()).toEqual({ ok: true, message: "Signed out everywhere: 1 session ended." });
    expect(context.database.db.select().from(sessions).where(eq(sessions.userId, person.userId)).all()).toEqual([]);
    expect((await get(context, "/api/admin/stats", admin.cookie)).status).toBe(200);

    expect((await act("reset-bandit")).status).toBe(200);
    expect(context.database.db.select().from(banditStates).where(eq(banditStates.userId, person.userId)).all()).toEqual([]);
    expect(bandits.get(person.userId, "linucb")).toBeNull();

    // Not connected: refused with a reason, recorded as failed, nothing else changes.
    const before = rowCounts(context);
    for (const action of ["sync-now", "revoke-integration"]) {
      const refused = await act(action);
      expect(refused.status).toBe(409);
      expect(((await refused.json()) as { error: { message: string } }).error.message).toContain("Todoist is not connected");
    }
    const after = rowCounts(context);
    expect({ ...after, audit_log: 0, events: 0 }).toEqual({ ...before, audit_log: 0, events: 0 });
    expect(after.audit_log).toBe(before.audit_log! + 2);

    const self = await act("delete", admin.userId);
    expect(self.status).toBe(409);
    expect(context.database.db.select().from(users).where(eq(users.id, admin.userId)).get()).toBeDefined();

    expect((await act("delete")).status).toBe(200);
    expect(context.database.db.select().from(users).where(eq(users.id, person.userId)).get()).toBeUndefined();
    expect((await act("end-sessions")).status).toBe(404);
    const unknown = await postJson(context, `/api/admin/users/${admin.userId}/actions`, admin.cookie, { action: "drop-tables" });
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toBe(
      "action: must be one of end-sessions, reset-bandit, sync-now, revoke-integration, delete",
    );
    for (const bad of [{ action: "drop-tables" }, {}, { action: "delete", extra: 1 }]) {
      const response = await postJson(context, `/api/admin/users/${admin.userId}/actions`, admin.cookie, bad);
      expect([bad, response.status]).toEqual([bad, 400]);
    }

    const entries = context.database.db.select().from(auditLog).all();
    expect(entries.map((entry) => [entry.action, entry.result, entry.actorId, entry.targetId])).toEqual([
      ["user.end-sessions", "ok", admin.userId, person.userId],
      ["user.reset-bandit", "ok", admin.userId, person.userId],
      ["user.sync-now", "failed", admin.userId, person.userId],
      ["user.revoke-integration", "failed", admin.userId, person.userId],
      ["user.delete", "failed", admin.userId, admin.userId],
      ["user.delete", "ok", admin.userId, person.userId],
    ]);
    const published = context.bus.tail({ subject: "admin.action" }).map((event) => ({ userId: event.userId, ...(event.payload as { action: string; result: string }) }));
    expect(published.map((event) => [event.userId, event.action, event.result])).toEqual(
      entries.map((entry) => [admin.userId, entry.action.slice("user.".length), entry.result]),
    );
  });

  test("the page offers only the actions that would do something for this person", async () => {
    const context = app();
    const admin = signIn(context.database, { role: "admin" });
    const person = signIn(context.database);
    const buttons = async (userId: string) =>
      [...(await (await get(context, `/admin/users/${userId}`, admin.cookie)).text()).matchAll(/name="action" value="([a-z-]+)"/g)].map((match) => match[1]);
    // Signed in, nothing learnt, no Todoist: sign-out and delete only.
    expect(await buttons(person.userId)).toEqual(["end-sessions", "delete"]);
    // Their own page never offers an admin to delete themselves.
    expect(await buttons(admin.userId)).toEqual(["end-sessions"]);

    connectAccount(context, { id: "td-ada", token: "token-ada" }, person);
    context.modules.recommender.bandits.save(person.userId, "linucb", { d: 1, A_inv: [[0.5]], b: [1], pulls: 1, reward_sum: 1 });
    expect(await buttons(person.userId)).toEqual(["end-sessions", "reset-bandit", "sync-now", "revoke-integration", "delete"]);

    // A connection that needs renewing cannot sync, but can be disconnected; no session, no sign-out.
    context.database.sqlite.run("UPDATE integrations SET status = 'needs_reconnect' WHERE user_id = ?", [person.userId]);
    context.database.sqlite.run("DELETE FROM sessions WHERE user_id = ?", [person.userId]);
    expect(await buttons(person.userId)).toEqual(["reset-bandit", "revoke-integration", "delete"]);
  });

  test("on the page an action asks first, then acts and says what it did", async () => {
    const context = app();
    const admin = signIn(context.database, { role: "admin" });
    const person = signIn(context.database, { email: "ben@example.test" });
    const path = `/admin/users/${person.userId}/actions`;
    const asked = await postForm(context, path, admin.cookie, { action: "end-sessions" });
    expect(asked.status).toBe(200);
    const question = await asked.text();
    expect(question).toContain("ben@example.test: End every session of this person?");
    expect(question).toContain('name="confirm" value="yes"');
    expect(context.database.db.select().from(sessions).where(eq(sessions.userId, person.userId)).all()).toHaveLength(1);

    const done = await (await postForm(context, path, admin.cookie, { action: "end-sessions", confirm: "yes" })).text();
    expect(done).toContain("Signed out everywhere: 1 session ended.");
    expect(context.database.db.select().from(sessions).where(eq(sessions.userId, person.userId)).all()).toEqual([]);

    const refused = await postForm(context, path, admin.cookie, { action: "sync-now", confirm: "yes" });
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain("Todoist is not connected");

    const deleted = await (await postForm(context, path, admin.cookie, { action: "delete", confirm: "yes" })).text();
    expect(deleted).toContain("Account deleted: everything about them is erased.");
    expect(deleted).not.toContain("ben@example.test");
  });
});

describe("admin console: audit log", () => {
  test("admin sign-ins and actions, newest first, filtered by action and person, a page at a time; old entries go after their retention", async () => {
    const ADMIN_TOKEN = "a-long-enough-admin-token-for-tests";
    const context = app({ ADMIN_TOKEN });
    const signedIn = await context.request("/api/auth/token", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token: ADMIN_TOKEN }) });
    expect(signedIn.status).toBe(200);
    const cookie = signedIn.headers.get("set-cookie")!.split(";")[0]!;
    const person = signIn(context.database);
    for (let round = 0; round < 3; round++) await postJson(context, `/api/admin/users/${person.userId}/actions`, cookie, { action: "end-sessions" });

    const all = await (await get(context, "/api/admin/audit", cookie)).json();
    expect(all.entries.map((entry: { action: string }) => entry.action)).toEqual(["user.end-sessions", "user.end-sessions", "user.end-sessions", "admin.sign-in"]);
    expect(all.entries[3]).toMatchObject({ result: "ok", detail: "Signed in (admin token)", targetId: null });
    const first = await (await get(context, "/api/admin/audit?limit=2", cookie)).json();
    expect(first.entries).toHaveLength(2);
    const second = await (await get(context, `/api/admin/audit?limit=2&before=${first.next}`, cookie)).json();
    expect([...first.entries, ...second.entries]).toEqual(all.entries);
    expect(second.next).toBeNull();
    expect((await (await get(context, "/api/admin/audit?action=admin.sign-in", cookie)).json()).entries).toHaveLength(1);
    expect((await (await get(context, `/api/admin/audit?target=${person.userId}`, cookie)).json()).entries).toHaveLength(3);
    for (const bad of ["limit=0", "before=x", "action=DROP%20TABLE"]) expect((await get(context, `/api/admin/audit?${bad}`, cookie)).status).toBe(400);
    const page = await (await get(context, "/admin/audit?action=user.end-sessions", cookie)).text();
    expect(page.match(/<tr>/g)).toHaveLength(4);

    // A person's own sign-in is not an admin's, and is not audited.
    expect(context.database.db.select().from(auditLog).where(eq(auditLog.action, "admin.sign-in")).all()).toHaveLength(1);
    const { audit, settings } = context.modules.admin;
    expect(settings.get().auditRetentionDays).toBe(365);
    expect(audit.purge(365, Date.now() + 364 * DAY_MS)).toBe(0);
    expect(audit.purge(365, Date.now() + 366 * DAY_MS)).toBe(4);
  });
});

describe("admin console: events, jobs and logs", () => {
  test("events: the live tail polls for what came since, the history pages through the table by subject, person and time", async () => {
    const context = app();
    const admin = signIn(context.database, { role: "admin" });
    const [ana, ben] = [signIn(context.database), signIn(context.database)];
    const { recommender, feedback } = context.modules.recommender;
    const now = Date.now();
    const anaTip = await recommender.recommend({ id: ana.userId, timezone: "UTC" }, { now: now - 2 * DAY_MS });
    await feedback.give(ana.userId, anaTip.id, "done", { now: now - 2 * DAY_MS + 1000 });
    const benTip = await recommender.recommend({ id: ben.userId, timezone: "UTC" }, { now: now - 1000 });
    await feedback.give(ben.userId, benTip.id, "done", { now: now - 500 });

    const live = await (await get(context, "/api/admin/events", admin.cookie)).json();
    expect(live.events.map((event: { subject: string }) => event.subject)).toEqual(["signals.tip.served", "signals.tip.feedback", "signals.tip.served", "signals.tip.feedback"]);
    // A served tip is announced, its row being the tip's own: in the live tail, not stored as an event.
    expect(live.events[0]).toMatchObject({ id: null, payload: { tipId: anaTip.id, channel: "page" } });
    const lastSeq = live.events.at(-1).seq;
    expect((await (await get(context, `/api/admin/events?after=${lastSeq}`, admin.cookie)).json()).events).toEqual([]);
    expect((await (await get(context, `/api/admin/events?after=${lastSeq - 1}`, admin.cookie)).json()).events).toHaveLength(1);
    expect((await (await get(context, `/api/admin/events?user=${ben.userId}`, admin.cookie)).json()).events).toHaveLength(2);

    const history = async (query: string) => (await (await get(context, `/api/admin/events/history?${query}`, admin.cookie)).json()) as { events: { id: number; subject: string; userId: string | null }[]; next: number | null };
    expect((await history(`user=${ana.userId}`)).events.map((event) => event.subject)).toEqual(["signals.tip.feedback"]);
    expect((await history("subject=signals.tip.served")).events).toEqual([]);
    const today = new Date(now - 60_000).toISOString().slice(0, 16);
    expect((await history(`from=${today}`)).events.map((event) => event.userId)).toEqual([ben.userId]);
    expect((await history(`to=${today}`)).events.map((event) => event.userId)).toEqual([ana.userId]);
    const first = await history("limit=1");
    const second = await history(`limit=1&before=${first.next}`);
    expect([...first.events, ...second.events].map((event) => event.id)).toEqual((await history("")).events.map((event) => event.id));
    for (const bad of ["from=yesterday", `from=${today}&to=2000-01-01`, "limit=500", "subject=DROP%20TABLE", "before=0"]) {
      const response = await get(context, `/api/admin/events/history?${bad}`, admin.cookie);
      expect([bad, response.status]).toEqual([bad, 400]);
    }

    const page = await (await get(context, "/admin/events", admin.cookie)).text();
    expect(await (await get(context, "/admin/events?subject=signals.tip.served", admin.cookie)).text()).toContain("Served tips are kept as tips");
    expect(page).toContain('hx-trigger="every 2s"');
    expect(page).toContain("data-live");
    const fragment = await (await get(context, `/admin/events/live?user=${ben.userId}`, admin.cookie)).text();
    expect(fragment).toStartWith('<section id="live"');
    expect(fragment).toContain(`/admin/events/live?user=${ben.userId}`);
    expect(fragment).not.toContain(ana.userId);
  });

  test("jobs: every job with its last run, and run now (audited); an unknown job is 404", async () => {
    const context = app();
    const admin = signIn(context.database, { role: "admin" });
    const { jobs } = (await (await get(context, "/api/admin/jobs", admin.cookie)).json()) as { jobs: { name: string; runs: number; lastRunAt: number | null }[] };
    expect(jobs.map((job) => job.name)).toContain("retention");
    expect(jobs.find((job) => job.name === "audit.retention")).toMatchObject({ runs: 0, lastRunAt: null });
    const started = await context.request("/api/admin/jobs/audit.retention/run", { method: "POST", headers: { cookie: admin.cookie } });
    expect(started.status).toBe(202);
    await Bun.sleep(10);
    const after = (await (await get(context, "/api/admin/jobs", admin.cookie)).json()) as { jobs: typeof jobs };
    expect(after.jobs.find((job) => job.name === "audit.retention")).toMatchObject({ runs: 1, lastRunAt: expect.any(Number) });
    expect((await context.request("/api/admin/jobs/no-such-job/run", { method: "POST", headers: { cookie: admin.cookie } })).status).toBe(404);
    expect(context.database.db.select().from(auditLog).all().map((entry) => [entry.action, entry.detail])).toEqual([["job.run", "Started audit.retention"]]);
    // The form sends the browser on to the page, so a reload does not run the job again.
    const ran = await postForm(context, "/admin/jobs/retention/run", admin.cookie, {});
    expect(ran.status).toBe(303);
    expect(ran.headers.get("location")).toBe("/admin/jobs?started=retention");
    const page = await (await get(context, ran.headers.get("location")!, admin.cookie)).text();
    expect(page).toContain("Started retention");
    expect(page).toContain('aria-label="Run now: retention"');
    expect(await (await get(context, "/admin/jobs?started=no-such-job", admin.cookie)).text()).not.toContain("Started");
  });

  test("logs: the last warnings and errors, newest first, errors only when asked, secrets masked", async () => {
    const context = app();
    const admin = signIn(context.database, { role: "admin" });
    context.log.info("not a problem");
    context.log.warn({ userId: "u1", token: "secret-token-value" }, "first warning");
    context.log.error({ reason: "boom" }, "an error");
    const { lines } = (await (await get(context, "/api/admin/logs", admin.cookie)).json()) as { lines: { level: string; msg: string; fields: Record<string, unknown> }[] };
    // Newest first (the scorer, absent in this app, complained at start).
    expect(lines.slice(0, 2).map((line) => [line.level, line.msg])).toEqual([
      ["error", "an error"],
      ["warn", "first warning"],
    ]);
    expect(lines.map((line) => line.msg)).not.toContain("not a problem");
    expect(lines[1]!.fields).toMatchObject({ userId: "u1", token: "[redacted]" });
    expect(JSON.stringify(lines)).not.toContain("secret-token-value");
    const errors = (await (await get(context, "/api/admin/logs?level=error", admin.cookie)).json()) as { lines: { level: string; msg: string }[] };
    expect(errors.lines.map((line) => line.level)).not.toContain("warn");
    expect(errors.lines.map((line) => line.msg)).toContain("an error");
    expect((await get(context, "/api/admin/logs?level=debug", admin.cookie)).status).toBe(400);
    expect(await (await get(context, "/admin/logs", admin.cookie)).text()).toContain("first warning");
  });
});

describe("admin console: SQL runner", () => {
  function fileApp() {
    const dir = tempDir();
    const context = createTestApp({ DATA_DIR: dir.path }, join(dir.path, "oo.db"));
    contexts.push(context);
    return context;
  }
  const runSql = (context: TestContext, cookie: string, sql: string) => postJson(context, "/api/admin/sql", cookie, { sql });

  test("a read on a connection of its own: rows, at most 1,000 of them, hashes rather than tokens; every run audited", async () => {
    const context = fileApp();
    const admin = signIn(context.database, { role: "admin", email: "root@example.test" });
    const response = await runSql(context, admin.cookie, "SELECT email, role FROM users WHERE role = 'admin'");
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ columns: ["email", "role"], rows: [["root@example.test", "admin"]], truncated: false });
    const sessionsRead = (await (await runSql(context, admin.cookie, "SELECT token_hash FROM sessions")).json()) as { rows: string[][] };
    expect(sessionsRead.rows[0]![0]).toMatch(/^[0-9a-f]{64}$/);
    expect(sessionsRead.rows[0]![0]).not.toBe(admin.token);
    const many = (await (await runSql(context, admin.cookie, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 1500) SELECT x FROM c")).json()) as { rows: number[][]; truncated: boolean };
    expect(many.rows).toHaveLength(1000);
    expect(many.truncated).toBe(true);
    expect((await (await runSql(context, admin.cookie, "EXPLAIN QUERY PLAN SELECT * FROM tip_views WHERE user_id = 'x'")).json()).columns).toContain("detail");
    // Integers past 2^53 come back exact, as text; the others as numbers.
    const integers = (await (await runSql(context, admin.cookie, "SELECT 9007199254740993 AS big, -9007199254740993 AS negative, 42 AS small, 1.5 AS real")).json()) as { rows: unknown[][] };
    expect(integers.rows).toEqual([["9007199254740993", "-9007199254740993", 42, 1.5]]);
    expect(context.database.db.select().from(auditLog).all().map((entry) => [entry.action, entry.result])).toEqual([
      ["sql.run", "ok"],
      ["sql.run", "ok"],
      ["sql.run", "ok"],
      ["sql.run", "ok"],
      ["sql.run", "ok"],
    ]);
  });

  test("writes, several statements, pragmas, attach and extensions are refused, and nothing changes", async () => {
    const context = fileApp();
    const admin = signIn(context.database, { role: "admin" });
    const before = rowCounts(context);
    const refused: [string, string][] = [
      ["DELETE FROM users", "Only reads run here"],
      ["SELECT 1; DELETE FROM users", "One statement at a time"],
      ["SELECT ';'; DROP TABLE users; --", "One statement at a time"],
      ["PRAGMA journal_mode = DELETE", "Only reads run here"],
      ["ATTACH DATABASE '/tmp/other.db' AS other", "Only reads run here"],
      ["SELECT load_extension('/tmp/evil')", "not authorized"],
      ["WITH doomed AS (SELECT id FROM users) DELETE FROM users WHERE id IN doomed", "readonly"],
      ["   -- nothing but a comment", "Write a query"],
      ["SELECT x FROM nowhere", "no such table"],
      ["SELECT 1 AS a, 2 AS a", "Two columns are named a"],
    ];
    for (const [sql, reason] of refused) {
      const response = await runSql(context, admin.cookie, sql);
      expect([sql, response.status]).toEqual([sql, 400]);
      expect(((await response.json()) as { error: { message: string } }).error.message).toContain(reason);
    }
    // A semicolon inside a string, a name or a comment is not the end of the statement.
    expect((await runSql(context, admin.cookie, `SELECT 'a;b' AS "x;y" /* ; */ -- ;\n;`)).status).toBe(200);
    expect({ ...rowCounts(context), audit_log: 0 }).toEqual({ ...before, audit_log: 0 });
    for (const bad of [{}, { sql: "" }, { sql: "x".repeat(8001) }, { sql: "SELECT 1", extra: true }]) expect((await postJson(context, "/api/admin/sql", admin.cookie, bad)).status).toBe(400);
  });

  test("a runaway query is stopped after 1 s while the server keeps answering", async () => {
    const context = fileApp();
    const admin = signIn(context.database, { role: "admin" });
    const started = performance.now();
    const runaway = runSql(context, admin.cookie, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c");
    await Bun.sleep(300);
    const healthAt = performance.now();
    expect((await context.request("/health")).status).toBe(200);
    expect(performance.now() - healthAt).toBeLessThan(200);
    const response = await runaway;
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain("Stopped after 1 s");
    expect(performance.now() - started).toBeLessThan(3000);
  });

  test("saved queries are each admin's own; the page runs, downloads CSV (formulas defused) and saves", async () => {
    const context = fileApp();
    const admin = signIn(context.database, { role: "admin" });
    const other = signIn(context.database, { role: "admin" });
    const created = await postJson(context, "/api/admin/saved-queries", admin.cookie, { name: "Admins", sql: "SELECT email FROM users WHERE role = 'admin'" });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: number };
    expect(((await (await get(context, "/api/admin/saved-queries", admin.cookie)).json()) as { queries: unknown[] }).queries).toHaveLength(1);
    expect(((await (await get(context, "/api/admin/saved-queries", other.cookie)).json()) as { queries: unknown[] }).queries).toEqual([]);
    expect((await context.request(`/api/admin/saved-queries/${id}`, { method: "DELETE", headers: { cookie: other.cookie } })).status).toBe(404);
    expect(await (await get(context, `/admin/sql?saved=${id}`, admin.cookie)).text()).toContain("SELECT email FROM users WHERE role = &#x27;admin&#x27;");
    expect((await get(context, `/admin/sql?saved=${id}`, other.cookie)).status).toBe(404);
    expect((await postJson(context, "/api/admin/saved-queries", admin.cookie, { name: "", sql: "SELECT 1" })).status).toBe(400);

    const page = await (await postForm(context, "/admin/sql", admin.cookie, { sql: "SELECT 1 AS one, '<b>' AS two" })).text();
    expect(page).toContain("1 row in");
    expect(page).toContain("&lt;b&gt;");
    const refused = await postForm(context, "/admin/sql", admin.cookie, { sql: "DELETE FROM users" });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("Only reads run here");
    const csv = await postForm(context, "/admin/sql", admin.cookie, { sql: `SELECT '=HYPERLINK("x")' AS formula, 'a,b' AS comma, NULL AS empty`, format: "csv" });
    expect(csv.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(csv.headers.get("content-disposition")).toStartWith('attachment; filename="oo-query-');
    expect(await csv.text()).toBe(`formula,comma,empty\r\n"'=HYPERLINK(""x"")","a,b",\r\n`);

    const saving = await postForm(context, "/admin/saved-queries", admin.cookie, { sql: "SELECT 2", name: "Two" });
    expect(saving.status).toBe(303);
    expect(saving.headers.get("location")).toMatch(/^\/admin\/sql\?saved=\d+$/);
    expect((await postForm(context, "/admin/saved-queries", admin.cookie, { sql: "SELECT 3", name: " " })).status).toBe(400);
    expect((await postForm(context, `/admin/saved-queries/${id}/delete`, admin.cookie, {})).status).toBe(303);
    expect(((await (await get(context, "/api/admin/saved-queries", admin.cookie)).json()) as { queries: { name: string }[] }).queries.map((query) => query.name)).toEqual(["Two"]);
  });
});

describe("admin console: backups", () => {
  test("a backup copies on a thread of its own: the serving thread goes on meanwhile", async () => {
    const dir = tempDir();
    const context = createTestApp({ DATA_DIR: dir.path }, join(dir.path, "oo.db"));
    contexts.push(context);
    const order: string[] = [];
    const taking = context.modules.admin.backups.take(null).then(() => order.push("backed up"));
    setTimeout(() => order.push("a request served"), 0);
    await taking;
    expect(order).toEqual(["a request served", "backed up"]);
    // Two at once from two processes (the server's and `oo backup`): each its own name, both whole.
    const { backUp } = await import("../db/backup.ts");
    const now = Date.now();
    const both = await Promise.all([backUp(join(dir.path, "oo.db"), dir.path, now), backUp(join(dir.path, "oo.db"), dir.path, now)]);
    expect(new Set(both.map((backup) => backup.name)).size).toBe(2);
    expect(both.every((backup) => backup.bytes > 0)).toBe(true);
    // Stray files of the backups' shape do not lead the names: one with no real time is ignored, and
    // one far in the future (a clock that was ahead) is not followed, so backups keep real times.
    const { writeFileSync } = await import("node:fs");
    writeFileSync(join(dir.path, "backups", "oo-20261399T999999Z.db"), "");
    writeFileSync(join(dir.path, "backups", "oo-20360101T000000Z.db"), "");
    const { listBackups } = await import("../db/backup.ts");
    expect(listBackups(dir.path).map((backup) => backup.name)).not.toContain("oo-20261399T999999Z.db");
    const fresh = await backUp(join(dir.path, "oo.db"), dir.path);
    expect(fresh.name.slice(3, 11)).toBe(new Date().toISOString().slice(0, 10).replaceAll("-", ""));
    // A database with no file (in memory) cannot be copied by another connection: said, not an empty file.
    const inMemory = app();
    await expect(inMemory.modules.admin.backups.take(null)).rejects.toThrow("The backup failed: an in-memory database has no file to back up");
  });

  test("back up now, listed newest first, the newest N kept, downloaded whole (audited); a failure shows until one succeeds", async () => {
    const dir = tempDir();
    const context = createTestApp({ DATA_DIR: dir.path }, join(dir.path, "oo.db"));
    contexts.push(context);
    const admin = signIn(context.database, { role: "admin", email: "keeper@example.test" });
    context.modules.admin.settings.update({ backupsKept: 2 });
    const names: string[] = [];
    for (let round = 0; round < 3; round++) {
      const created = await context.request("/api/admin/backups", { method: "POST", headers: { cookie: admin.cookie } });
      expect(created.status).toBe(201);
      names.push(((await created.json()) as { name: string }).name);
    }
    expect(names.every((name) => /^oo-\d{8}T\d{6}Z\.db$/.test(name))).toBe(true);
    const list = (await (await get(context, "/api/admin/backups", admin.cookie)).json()) as { backups: { name: string }[]; lastFailure: null };
    expect(list.backups.map((backup) => backup.name)).toEqual([names[2]!, names[1]!]);
    expect(list.lastFailure).toBeNull();

    const download = await get(context, `/api/admin/backups/${names[2]}`, admin.cookie);
    expect(download.status).toBe(200);
    expect(download.headers.get("content-disposition")).toBe(`attachment; filename="${names[2]}"`);
    const copy = join(dir.path, "downloaded.db");
    await Bun.write(copy, await download.arrayBuffer());
    const { Database } = await import("bun:sqlite");
    const opened = new Database(copy, { readonly: true });
    expect(opened.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
    expect(opened.query("SELECT email FROM users WHERE id = ?").get(admin.userId)).toEqual({ email: "keeper@example.test" });
    opened.close();
    expect((await get(context, `/api/admin/backups/${names[0]}`, admin.cookie)).status).toBe(404);
    for (const bad of ["..%2Foo.db", "oo.db", "oo-20261205T120000Z.db.partial"]) expect((await get(context, `/api/admin/backups/${bad}`, admin.cookie)).status).toBe(400);
    expect(context.database.db.select().from(auditLog).all().map((entry) => entry.action)).toEqual(["backup.create", "backup.create", "backup.create", "backup.download"]);

    // The page's button: sent on to the page naming the backup, so a reload takes no second one.
    const viaPage = await context.request("/admin/backups", { method: "POST", headers: { cookie: admin.cookie } });
    expect(viaPage.status).toBe(303);
    const shown = viaPage.headers.get("location")!;
    expect(shown).toMatch(/^\/admin\/backups\?done=oo-\d{8}T\d{6}Z\.db$/);
    expect(await (await get(context, shown, admin.cookie)).text()).toContain(`Backed up: ${decodeURIComponent(shown.split("=")[1]!)}.`);

    // The folder cannot be written: the attempt fails with the reason, which stays on show until a backup works.
    const { rmSync, writeFileSync } = await import("node:fs");
    rmSync(join(dir.path, "backups"), { recursive: true });
    writeFileSync(join(dir.path, "backups"), "not a folder");
    const failed = await context.request("/admin/backups", { method: "POST", headers: { cookie: admin.cookie } });
    expect(failed.status).toBe(503);
    expect(await failed.text()).toContain("The backup failed");
    expect(((await (await get(context, "/api/admin/backups", admin.cookie)).json()) as { lastFailure: { reason: string } | null }).lastFailure).not.toBeNull();
    rmSync(join(dir.path, "backups"));
    await context.jobs.trigger("backups.daily");
    expect(((await (await get(context, "/api/admin/backups", admin.cookie)).json()) as { lastFailure: unknown; backups: unknown[] }).lastFailure).toBeNull();
  });
});

describe("admin console: health", () => {
  test("one report, one overall status: integrity, scorer, jobs, push, LLM and backups, each turning amber or red when they should", async () => {
    const llm = Bun.serve({ port: 0, fetch: (request) => (new URL(request.url).pathname === "/v1/models" ? Response.json({ data: [] }) : new Response("no", { status: 404 })) });
    const dir = tempDir();
    const context = createTestApp({ DATA_DIR: dir.path, LLM_BASE_URL: `http://127.0.0.1:${llm.port}/v1` }, join(dir.path, "oo.db"));
    contexts.push(context);
    try {
      const admin = signIn(context.database, { role: "admin" });
      const report = async () => (await (await get(context, "/api/admin/health", admin.cookie)).json()) as { status: string; lines: { name: string; status: string; summary: string; details: [string, string][] }[] };
      const line = async (name: string) => (await report()).lines.find((one) => one.name === name)!;

      const first = await report();
      expect(first.lines.map((one) => one.name)).toEqual(["Database", "Scorer", "Event bus", "Jobs", "Web push", "LLM", "Backups"]);
      // LinUCB serves by default, but there is no python here: red, and so is the whole.
      const absent = await line("Scorer");
      expect(absent).toMatchObject({ status: "fail", summary: "Absent: the heuristic serves" });
      expect(absent.details.find(([term]) => term === "Last error")?.[1]).toContain("cannot run");
      expect(first.status).toBe("fail");
      // With the heuristic serving the scorer is not needed; no backup yet is amber.
      context.modules.recommender.settings.update({ servingPolicy: "heuristic" });
      expect(await line("Scorer")).toMatchObject({ status: "ok", summary: "Not needed: heuristic serves" });
      expect(await line("Backups")).toMatchObject({ status: "warn", summary: "No backup yet" });
      expect((await report()).status).toBe("warn");
      expect((await line("Database")).details).toContainEqual(["Integrity (quick_check)", "not checked yet"]);

      await context.jobs.trigger("health.checks");
      expect((await line("Database")).details.find(([term]) => term === "Integrity (quick_check)")![1]).toStartWith("ok, just now");
      expect(await line("LLM")).toMatchObject({ status: "ok", summary: "Reachable" });
      await context.request("/api/admin/backups", { method: "POST", headers: { cookie: admin.cookie } });
      expect(await line("Backups")).toMatchObject({ status: "ok", summary: "Recent" });
      expect((await report()).status).toBe("ok");

      // The LLM stops answering; a job fails: amber each.
      llm.stop(true);
      await context.jobs.trigger("health.checks");
      expect((await line("LLM")).status).toBe("warn");
      const { rmSync, writeFileSync } = await import("node:fs");
      rmSync(join(dir.path, "backups"), { recursive: true });
      writeFileSync(join(dir.path, "backups"), "not a folder");
      await context.jobs.trigger("backups.daily");
      expect(await line("Jobs")).toMatchObject({ status: "warn", summary: "backups.daily failed on the last run" });
      expect((await line("Backups")).status).toBe("fail");

      const page = await (await get(context, "/admin/health", admin.cookie)).text();
      expect(page).toContain('hx-get="/admin/health/report"');
      expect(page).toContain("Failing");
      expect(await (await get(context, "/admin/health/report", admin.cookie)).text()).toStartWith('<section id="health"');
    } finally {
      llm.stop(true);
    }
  });
});

test("health: with a working scorer, its line shows it up, its version and how the last hour's decisions went", async () => {
  const context = createTestApp({ PYTHON: "python3", ML_TIMEOUT_MS: "2000" });
  contexts.push(context);
  const admin = signIn(context.database, { role: "admin" });
  for (let n = 0; n < 3; n++) await context.modules.recommender.recommender.recommend({ id: admin.userId, timezone: "UTC" });
  const scorer = ((await (await get(context, "/api/admin/health", admin.cookie)).json()) as { lines: { name: string; status: string; summary: string; details: [string, string][] }[] }).lines.find((line) => line.name === "Scorer")!;
  expect(scorer).toMatchObject({ status: "ok", summary: "Up" });
  expect(scorer.details).toContainEqual(["Last hour", "3 decisions: 3 ok"]);
  expect(scorer.details.find(([term]) => term === "State")![1]).toMatch(/^up \(child, /);
  expect(scorer.details.find(([term]) => term === "Last decision's latency")![1]).toMatch(/^[\d.]+ ms$/);
});

describe("admin console: data quality", () => {
  test("replayable decisions, task ages, connections to renew, failing syncs, rewards not learnt, and each day's log complete or not", async () => {
    const context = app();
    const admin = signIn(context.database, { role: "admin" });
    const [ana, ben] = [connectAccount(context, { id: "td-ana", token: "token-ana" }), connectAccount(context, { id: "td-ben", token: "token-ben" })];
    const { store } = context.modules.integrations;
    store.markNeedsReconnect(ben.userId, "todoist", "the grant was revoked");
    store.recordSyncError(ana.userId, "todoist", "Todoist answered 503", Date.now() + 1000);
    context.database.db
      .insert(tasks)
      .values([
        { userId: ana.userId, provider: "todoist", externalId: "1", content: "Dated", priority: 1, addedAt: Date.now() - DAY_MS, syncedAt: Date.now() },
        { userId: ana.userId, provider: "todoist", externalId: "2", content: "Undated", priority: 1, syncedAt: Date.now() },
      ])
      .run();
    // What a sync records beside the tasks: how many the connection holds.
    context.database.db.update(integrations).set({ taskCount: 2 }).where(eq(integrations.userId, ana.userId)).run();
    context.modules.recommender.pool.invalidate(ana.userId);
    const { recommender, feedback } = context.modules.recommender;
    const tip = await recommender.recommend({ id: ana.userId, timezone: "UTC" });
    // No scorer here: the reward waits for the backlog job.
    await feedback.give(ana.userId, tip.id, "done");
    await recommender.recommend({ id: ana.userId, timezone: "UTC" }, { now: Date.now() + 1000 });

    const quality = (await (await get(context, "/api/admin/data-quality", admin.cookie)).json()) as DataQuality;
    expect(quality.rates).toEqual({ missingFeatures: 0, unknownTaskAge: 0.5, staleTokens: 0.5, rewardsPending: 1 });
    expect(quality.integrations).toBe(2);
    // Newest first; a refused grant is a failing sync too.
    expect(quality.syncFailures.map((failure) => [failure.userId, failure.error])).toEqual([
      [ana.userId, "Todoist answered 503"],
      [ben.userId, "the grant was revoked"],
    ]);
    expect(quality.days).toHaveLength(14);
    expect(quality.days[0]).toEqual({ day: new Date().toISOString().slice(0, 10), tips: 2, scored: 2, rebuildable: 2, reactions: 1, applied: 0 });
    // Undated tasks are counted from their own partial index, not by reading every task.
    const explain = context.database.sqlite.prepare<{ detail: string }, []>("EXPLAIN QUERY PLAN SELECT count(*) FROM tasks WHERE added_at IS NULL");
    const plan = explain.all();
    explain.finalize();
    expect(plan.map((step) => step.detail).join(" ")).toContain("tasks_without_added_idx");
    const page = await (await get(context, "/admin/data-quality", admin.cookie)).text();
    expect(page).toContain("Todoist answered 503");
    expect(page).toContain("50.0 %");
  });
});

test("docs: the operator's documentation, built in, with every configuration variable", async () => {
  const context = app();
  const admin = signIn(context.database, { role: "admin" });
  const page = await (await get(context, "/admin/docs", admin.cookie)).text();
  for (const title of ["Configuration", "Backups and restore", "Rotating keys", "Upgrading", "What the health page says"]) expect(page).toContain(`>${title}</h2>`);
  expect(page).toContain("<code>oo restore DATA_DIR/backups/oo-20261205T030000Z.db");
  const { variables } = await import("../config.ts");
  for (const name of Object.keys(variables)) expect(page).toContain(`>${name}</td>`);
  expect((await get(context, "/admin/docs", signIn(context.database).cookie)).status).toBe(403);
});

describe("admin console: settings", () => {
  test("the page shows every section's settings with their defaults; a save changes them at once, audited", async () => {
    const context = app();
    const admin = signIn(context.database, { role: "admin" });
    const page = await (await get(context, "/admin/settings", admin.cookie)).text();
    for (const title of ["Recommender", "Notifications", "Console", "Exploration (ε)", "Rewards", "Pushes a day, at most", "Backups kept"]) expect(page).toContain(title);
    expect(page).toContain('name="rewards.not_helpful"');
    expect(page).toContain("Default: 0.1.");

    const saved = await postForm(context, "/admin/settings/recommender", admin.cookie, { ...settingsForm(context.modules.recommender.settings.get()), epsilon: "0.05", "rewards.helpful": "0.6", "shadowPolicies.random": "on" });
    expect(saved.status).toBe(200);
    // The console's tests serve with ε = 0 (see app()).
    expect(await saved.text()).toContain("recommender: shadowPolicies heuristic → heuristic, random; epsilon 0 → 0.05; rewards.helpful 0.5 → 0.6");
    const settings = context.modules.recommender.settings.get();
    expect(settings).toMatchObject({ epsilon: 0.05, shadowPolicies: ["heuristic", "random"], rewards: { helpful: 0.6, done: 1 } });
    // Read at each use: the next reaction is worth the new reward.
    const person = signIn(context.database);
    const tip = await context.modules.recommender.recommender.recommend({ id: person.userId, timezone: "UTC" });
    await context.modules.recommender.feedback.give(person.userId, tip.id, "helpful");
    expect(context.database.db.select().from(auditLog).all().map((entry) => [entry.action, entry.result])).toContainEqual(["settings.update", "ok"]);
    expect(context.database.sqlite.query("SELECT reward FROM tip_feedback").get()).toEqual({ reward: 0.6 });

    // The JSON API: a part of a section.
    const patched = await context.request("/api/admin/settings/admin", {
      method: "PATCH",
      headers: { cookie: admin.cookie, "content-type": "application/json" },
      body: JSON.stringify({ backupsKept: 3 }),
    });
    expect(await patched.json()).toEqual({ ok: true, message: "admin: backupsKept 7 → 3" });
    // What a change leaves out stays as it is (the serving policy is not put back to its default).
    context.modules.recommender.settings.update({ servingPolicy: "heuristic" });
    const alpha = await context.request("/api/admin/settings/recommender", {
      method: "PATCH",
      headers: { cookie: admin.cookie, "content-type": "application/json" },
      body: JSON.stringify({ alpha: 0.5 }),
    });
    expect(await alpha.json()).toEqual({ ok: true, message: "recommender: alpha 0.3 → 0.5" });
    expect(context.modules.recommender.settings.get()).toMatchObject({ servingPolicy: "heuristic", alpha: 0.5, epsilon: 0.05 });
    // A number the page shows in exponent form (1e-7) is taken back as it is shown.
    context.modules.recommender.settings.update({ alpha: 1e-7 });
    const resaved = await postForm(context, "/admin/settings/recommender", admin.cookie, settingsForm(context.modules.recommender.settings.get()));
    expect(resaved.status).toBe(200);
    expect(await resaved.text()).toContain("recommender: nothing changed");
    expect((await (await get(context, "/api/admin/settings", admin.cookie)).json()).admin).toEqual({ auditRetentionDays: 365, backupsKept: 3 });
  });

  test("a value out of bounds, not a number or of another type is refused with the setting named, and nothing changes", async () => {
    const context = app();
    const admin = signIn(context.database, { role: "admin" });
    const before = JSON.stringify(context.modules.recommender.settings.get());
    for (const [changes, message] of [
      [{ epsilon: "2" }, "recommender.epsilon: Expected number to be less or equal to 1"],
      [{ alpha: "lots" }, "recommender.alpha: must be a number"],
      [{ "rewards.done": "" }, "recommender.rewards.done: must be a number"],
      [{ servingPolicy: "greedy" }, "recommender.servingPolicy: must be one of linucb, heuristic, random"],
      [{ alpha: "0x2" }, "recommender.alpha: must be a number"],
      [{ snoozeHours: "0" }, "recommender.snoozeHours: Expected number to be greater than 0"],
      [{ "rewards.done": undefined }, "recommender.rewards.done: must be a number"],
    ] as const) {
      const form: Record<string, string | undefined> = { ...settingsForm(context.modules.recommender.settings.get()), ...changes };
      for (const [name, value] of Object.entries(form)) if (value === undefined) delete form[name];
      const refused = await postForm(context, "/admin/settings/recommender", admin.cookie, form as Record<string, string>);
      expect([changes, refused.status]).toEqual([changes, 400]);
      expect(await refused.text()).toContain(message);
    }
    expect(JSON.stringify(context.modules.recommender.settings.get())).toBe(before);
    // The refused form comes back as it was typed: no edit is lost.
    const typed = await postForm(context, "/admin/settings/recommender", admin.cookie, {
      ...settingsForm(context.modules.recommender.settings.get()),
      servingPolicy: "random",
      epsilon: "0.42",
      alpha: "lots",
    });
    const again = await typed.text();
    expect(again).toContain('<option value="random" selected>');
    expect(again).toContain('value="0.42"');
    expect(again).toContain('value="lots"');
    expect(JSON.stringify(context.modules.recommender.settings.get())).toBe(before);
    const failed = context.database.db.select().from(auditLog).all();
    expect(failed.map((entry) => [entry.action, entry.result])).toEqual(Array(8).fill(["settings.update", "failed"]));

    const patch = (body: unknown) =>
      context.request("/api/admin/settings/notifier", { method: "PATCH", headers: { cookie: admin.cookie, "content-type": "application/json" }, body: JSON.stringify(body) });
    expect((await patch({ dailyCap: 2.5 })).status).toBe(400);
    expect((await patch({ dailyCap: "3" })).status).toBe(400);
    expect((await patch({ nonsense: 1 })).status).toBe(400);
    const rewards = context.modules.recommender.settings.get().rewards;
    const extraReward = await context.request("/api/admin/settings/recommender", {
      method: "PATCH",
      headers: { cookie: admin.cookie, "content-type": "application/json" },
      body: JSON.stringify({ rewards: { ...rewards, extra: 5 } }),
    });
    expect(extraReward.status).toBe(400);
    expect(context.modules.recommender.settings.get().rewards).toEqual(rewards);
    expect(context.modules.notifier.settings.get().dailyCap).toBe(3);
    // People cannot change them.
    const person = signIn(context.database);
    const asPerson = await context.request("/api/admin/settings/notifier", {
      method: "PATCH",
      headers: { cookie: person.cookie, "content-type": "application/json" },
      body: JSON.stringify({ dailyCap: 1 }),
    });
    expect(asPerson.status).toBe(403);
    expect(context.modules.notifier.settings.get().dailyCap).toBe(3);
  });
});
