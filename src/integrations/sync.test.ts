import { afterEach, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { events, integrations, tasks } from "../db/schema.ts";
import type { FakeTodoist, FakeTodoistOptions } from "../testing/fake-todoist.ts";
import { signIn, type SignedIn } from "../testing/auth.ts";
import { createTestApp, type TestContext } from "../testing/harness.ts";
import { connectAccount, connectTodoist, lastBearer, startTodoist } from "../testing/integrations.ts";
import { storedDue } from "./task-source.ts";
import { normalizeTask } from "./todoist/tasks.ts";

const contexts: TestContext[] = [];
const fakes: FakeTodoist[] = [];
afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close();
  await Promise.all(fakes.splice(0).map((fake) => fake.stop()));
});

function setup(options: FakeTodoistOptions = {}) {
  const fake = startTodoist(options);
  fakes.push(fake);
  const context = createTestApp(fake.env);
  contexts.push(context);
  return { fake, context, module: context.modules.integrations };
}

const rowsOf = (context: TestContext, userId: string) =>
  context.database.db.select().from(tasks).where(eq(tasks.userId, userId)).orderBy(tasks.externalId).all();
const integrationOf = (context: TestContext, userId: string) =>
  context.database.db.select().from(integrations).where(eq(integrations.userId, userId)).get()!;
const syncedEvents = (context: TestContext, userId: string) =>
  context.database.db
    .select()
    .from(events)
    .where(and(eq(events.subject, "signals.task.synced"), eq(events.userId, userId)))
    .all()
    .map((event) => JSON.parse(event.payload));

describe("todoist sync", () => {
  test("1,000 tasks over five pages: each stored once, counted, announced", async () => {
    const { fake, context, module } = setup();
    const account = fake.createUser();
    fake.seedTasks(account.id, 1000);
    const person = connectAccount(context, account);

    const counts = await module.sync.syncUser(person.userId);
    expect(counts).toEqual({ total: 1000, added: 1000, updated: 0, removed: 0 });
    const pages = fake.requests.filter((request) => request.path === "/api/v1/tasks");
    expect(pages).toHaveLength(5);
    expect(rowsOf(context, person.userId)).toHaveLength(1000);
    expect(new Set(rowsOf(context, person.userId).map((row) => row.content)).size).toBe(1000);
    const row = integrationOf(context, person.userId);
    expect(row.taskCount).toBe(1000);
    expect(row.lastSyncAt).toBeGreaterThan(Date.now() - 10_000);
    expect(syncedEvents(context, person.userId)).toEqual([{ provider: "todoist", total: 1000, added: 1000, updated: 0, removed: 0 }]);
  });

  test("a second sync changes nothing; later changes are counted; unreadable tasks are kept as stored", async () => {
    const { fake, context, module } = setup();
    const account = fake.createUser();
    const [first, second, third] = fake.seedTasks(account.id, 3);
    const person = connectAccount(context, account);
    await module.sync.syncUser(person.userId);
    const before = rowsOf(context, person.userId);

    expect(await module.sync.syncUser(person.userId)).toEqual({ total: 3, added: 0, updated: 0, removed: 0 });
    expect(rowsOf(context, person.userId)).toEqual(before);

    fake.updateTask(account.id, first!.id, { content: "Renamed" });
    fake.deleteTask(account.id, second!.id);
    // Out of the documented range: the client leaves it out of the listing and names it in invalidIds.
    fake.updateTask(account.id, third!.id, { content: "Broken", priority: 9 });
    fake.addTask(account.id, { content: "New" });
    await Bun.sleep(2);
    expect(await module.sync.syncUser(person.userId)).toEqual({ total: 3, added: 1, updated: 1, removed: 1 });
    const after = rowsOf(context, person.userId).map((row) => row.content);
    expect(after.toSorted()).toEqual(["New", "Renamed", "Task 3"]);
  });

  test("only what the recommender reads is stored; the three due forms come back as they were", async () => {
    const { fake, context, module } = setup();
    const account = fake.createUser();
    const seeds = [
      { content: "All day", due: { date: "2030-05-01", string: "may 1" } },
      { content: "Floating", due: { date: "2030-05-01T09:30:00", string: "every day 9:30", is_recurring: true } },
      { content: "Fixed", due: { date: "2030-05-01T07:30:00Z", string: "may 1 9:30", timezone: "Europe/Paris" } },
    ];
    for (const seed of seeds) {
      fake.addTask(account.id, {
        ...seed,
        priority: 3,
        description: "Door code 4711",
        labels: ["health"],
        deadline: { date: "2030-06-01", lang: "en" },
        duration: { amount: 30, unit: "minute" },
      });
    }
    const person = connectAccount(context, account);
    await module.sync.syncUser(person.userId);
    const stored = rowsOf(context, person.userId);
    expect(stored).toHaveLength(3);
    for (const row of stored) {
      expect(row).toMatchObject({ description: "", labels: [], projectId: null, deadlineDate: null, durationMinutes: null, priority: 3 });
      const original = fake.task(account.id, row.externalId)!;
      expect(storedDue(row)).toEqual(normalizeTask(original).due);
      expect(row.addedAt).toBe(normalizeTask(original).addedAt);
    }
  });

  test("one user's 500 and another's 401 while others sync: the others succeed, the 401 needs reconnecting", async () => {
    const { fake, context, module } = setup();
    const accounts = Array.from({ length: 5 }, (_, index) => fake.createUser({ tasks: [{ content: `Task of ${index}` }] }));
    const people = accounts.map((account) => connectAccount(context, account));
    const failing = accounts[1]!;
    const refused = accounts[3]!;
    const stopFailing = fake.onRequest((request) => {
      if (request.headers.authorization === `Bearer ${failing.token}`) fake.failNext(1, 500);
    });
    fake.expireAccessToken(refused.token);

    await context.jobs.trigger("todoist.sync");

    expect(context.lines.some((line) => line.msg === "todoist sync: 3 ok, 2 failed (5 users)")).toBe(true);
    // The job starts its own trace: every call of the run carries it, each user in a span of its own.
    const traces = fake.requests.map((request) => request.headers.traceparent?.split("-"));
    expect(traces.every((parts) => parts?.length === 4)).toBe(true);
    expect(new Set(traces.map((parts) => parts![1])).size).toBe(1);
    for (const index of [0, 2, 4]) {
      expect(rowsOf(context, people[index]!.userId).map((row) => row.content)).toEqual([`Task of ${index}`]);
      expect(integrationOf(context, people[index]!.userId).status).toBe("connected");
    }
    const failed = integrationOf(context, people[1]!.userId);
    expect(failed.status).toBe("connected");
    expect(failed.lastSyncError).toBe("Todoist list tasks: HTTP 500 (SERVICE_ERROR)");
    expect(fake.requests.filter((request) => request.headers.authorization === `Bearer ${failing.token}`)).toHaveLength(4);
    const needs = integrationOf(context, people[3]!.userId);
    expect(needs.status).toBe("needs_reconnect");
    expect(needs.lastSyncError).toContain("HTTP 401");
    const changed = context.database.db
      .select()
      .from(events)
      .where(and(eq(events.subject, "signals.integration.changed"), eq(events.userId, people[3]!.userId)))
      .all()
      .map((event) => JSON.parse(event.payload).status);
    expect(changed).toEqual(["connected", "needs_reconnect"]);

    const listed = await (await context.request("/api/integrations", { headers: { cookie: people[3]!.cookie } })).json();
    expect(listed.integrations[0].status).toBe("needs_reconnect");
    const page = await (await context.request("/connect", { headers: { cookie: people[3]!.cookie } })).text();
    expect(page).toContain("Needs reconnecting");
    expect(page).toContain(">Reconnect</button>");
    expect(page).toContain('action="/api/integrations/todoist/connect"');

    // A needs-reconnect user is left out of the next run until they reconnect.
    stopFailing();
    fake.clearRequests();
    await context.jobs.trigger("todoist.sync");
    expect(fake.requests.some((request) => request.headers.authorization === `Bearer ${refused.token}`)).toBe(false);
    expect(context.lines.some((line) => line.msg === "todoist sync: 4 ok, 0 failed (4 users)")).toBe(true);
    for (const account of accounts) expect(JSON.stringify(context.lines)).not.toContain(account.token);
  }, 15_000);

  test("429: the sync waits as long as Todoist says, then succeeds", async () => {
    const { fake, context, module } = setup();
    const account = fake.createUser({ tasks: [{ content: "Later" }] });
    const person = connectAccount(context, account);
    fake.rateLimitNext(1, 1);
    const counts = await module.sync.syncUser(person.userId);
    expect(counts?.added).toBe(1);
    const listed = fake.requests.filter((request) => request.path === "/api/v1/tasks");
    expect(listed).toHaveLength(2);
    expect(listed[1]!.at - listed[0]!.at).toBeGreaterThanOrEqual(990);
  });

  test("the job runs every TODOIST_SYNC_INTERVAL_MS, first 10 s after boot, and purges old webhook deliveries", async () => {
    const fake = startTodoist();
    fakes.push(fake);
    const context = createTestApp({ ...fake.env, TODOIST_SYNC_INTERVAL_MS: "60000" });
    contexts.push(context);
    const job = context.jobs.status().find((status) => status.name === "todoist.sync")!;
    expect(job.intervalMs).toBe(60_000);
    const startedAt = Date.now();
    context.jobs.start();
    const nextRunAt = context.jobs.status().find((status) => status.name === "todoist.sync")!.nextRunAt!;
    expect(nextRunAt - startedAt).toBeGreaterThanOrEqual(9_900);
    expect(nextRunAt - startedAt).toBeLessThanOrEqual(10_100);

    context.database.sqlite.run("INSERT INTO webhook_deliveries (provider, delivery_id, received_at) VALUES ('todoist', 'old', ?), ('todoist', 'new', ?)", [
      Date.now() - 8 * 86_400_000,
      Date.now(),
    ]);
    await context.jobs.trigger("todoist.sync");
    expect(context.database.sqlite.query("SELECT delivery_id FROM webhook_deliveries").all()).toEqual([{ delivery_id: "new" }]);
  });

  test("a task a webhook removes while a sync is in flight stays removed", async () => {
    const { fake, context, module } = setup();
    const account = fake.createUser({ tasks: [{ content: "Pay rent" }, { content: "Call mum" }] });
    const person = connectAccount(context, account);
    await module.sync.syncUser(person.userId);
    const [gone, stays] = rowsOf(context, person.userId);
    fake.setLatency(150);
    const running = module.sync.syncUser(person.userId);
    await Bun.sleep(50);
    // Completed in Todoist after the listing was read there: the webhook says so before the listing lands.
    expect(module.tasks.remove(person.userId, gone!.externalId)).toBe(true);
    expect(await running).toMatchObject({ added: 0 });
    expect(rowsOf(context, person.userId).map((row) => row.externalId)).toEqual([stays!.externalId]);
  });

  test("a user disconnected while their sync is in flight gets no rows back", async () => {
    const { fake, context, module } = setup();
    const account = fake.createUser({ tasks: [{ content: "Ghost" }] });
    const person = connectAccount(context, account);
    fake.setLatency(150);
    const running = module.sync.syncUser(person.userId);
    await Bun.sleep(50);
    module.store.remove(person.userId, "todoist");
    expect(await running).toBeNull();
    expect(rowsOf(context, person.userId)).toHaveLength(0);
  });
});

describe("expiring tokens", () => {
  test("refreshed shortly before expiry, once for concurrent callers, and again after a 401", async () => {
    const { fake, context, module } = setup({ accessTokenLifetimeSeconds: 600 });
    fake.createUser({ tasks: [{ content: "Fresh" }] });
    const person = signIn(context.database);
    await connectTodoist(context, person);
    await module.idle();
    const refreshes = () => fake.requests.filter((request) => request.body.includes("grant_type=refresh_token")).length;
    expect(refreshes()).toBe(0);
    const first = module.store.tokens(integrationOf(context, person.userId));

    // Four minutes left: inside the five-minute margin.
    context.database.sqlite.run("UPDATE integrations SET access_token_expires_at = ?", [Date.now() + 4 * 60_000]);
    const tokens = await Promise.all(Array.from({ length: 5 }, () => module.access.tokenFor(person.userId)));
    expect(refreshes()).toBe(1);
    expect(new Set(tokens).size).toBe(1);
    expect(tokens[0]).not.toBe(first.accessToken);
    const second = module.store.tokens(integrationOf(context, person.userId));
    expect(second.accessToken).toBe(tokens[0]!);
    // Todoist rotates refresh tokens; the new one is the one kept.
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.expiresAt! - Date.now()).toBeGreaterThan(590_000);
    await module.access.tokenFor(person.userId);
    expect(refreshes()).toBe(1);

    // Todoist stops accepting a token the stored expiry still calls good: one refresh, one retry.
    fake.expireAccessToken(second.accessToken);
    const counts = await module.sync.syncUser(person.userId);
    expect(counts?.total).toBe(1);
    expect(refreshes()).toBe(2);
    const third = module.store.tokens(integrationOf(context, person.userId));
    expect(lastBearer(fake)).toBe(third.accessToken);
    expect(integrationOf(context, person.userId).status).toBe("connected");
    for (const secret of [first, second, third].flatMap((grant) => [grant.accessToken, grant.refreshToken!])) {
      expect(JSON.stringify(context.lines)).not.toContain(secret);
    }
  });

  test("a refresh Todoist refuses marks the integration needs reconnect", async () => {
    const { fake, context, module } = setup({ accessTokenLifetimeSeconds: 600 });
    fake.createUser();
    const person = signIn(context.database);
    await connectTodoist(context, person);
    await module.idle();
    const grant = module.store.tokens(integrationOf(context, person.userId));
    const basic = Buffer.from(`${fake.clientId}:${fake.clientSecret}`).toString("base64");
    await fetch(`${fake.apiBaseUrl}/revoke`, { method: "POST", headers: { authorization: `Basic ${basic}` }, body: new URLSearchParams({ token: grant.refreshToken! }) });
    context.database.sqlite.run("UPDATE integrations SET access_token_expires_at = ?", [Date.now() + 60_000]);
    await expect(module.sync.syncUser(person.userId)).rejects.toThrow("invalid_grant");
    expect(integrationOf(context, person.userId).status).toBe("needs_reconnect");
    // Reconnecting brings it back.
    expect((await connectTodoist(context, person)).outcome).toBe("connected");
    expect(integrationOf(context, person.userId).status).toBe("connected");
  });
});

describe("background refresh when a tip is chosen", () => {
  test("stale tasks are refreshed in the background, once per 30 s per user, never holding up the tip", async () => {
    const { fake, context, module } = setup();
    const account = fake.createUser({ tasks: [{ content: "Old news" }] });
    const person = connectAccount(context, account);
    await module.sync.syncUser(person.userId);
    const listings = () => fake.count("GET", "/api/v1/tasks");
    const recommend = () => context.request("/api/recommend", { method: "POST", headers: { cookie: person.cookie } });

    // The last sync was a minute ago, and Todoist is slow today.
    context.database.sqlite.run("UPDATE integrations SET last_sync_at = ?", [Date.now() - 60_000]);
    fake.setLatency(300);
    fake.addTask(account.id, { content: "Just added" });
    const started = performance.now();
    const traced = context.request("/api/recommend", {
      method: "POST",
      headers: { cookie: person.cookie, traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" },
    });
    const responses = await Promise.all([traced, ...Array.from({ length: 2 }, recommend)]);
    expect(performance.now() - started).toBeLessThan(250);
    expect(responses.every((response) => response.status === 200)).toBe(true);
    await module.idle();
    // Three reads, one background sync, in the trace of the read that asked for it.
    expect(listings()).toBe(2);
    expect(fake.requests.at(-1)!.headers.traceparent).toStartWith("00-0af7651916cd43dd8448eb211c80319c-");
    expect(rowsOf(context, person.userId).map((row) => row.content).toSorted()).toEqual(["Just added", "Old news"]);

    // Just synced: reads ask for nothing for the next 30 s.
    await recommend();
    module.sync.refreshIfStale(person.userId, { now: Date.now() + 29_000 });
    await module.idle();
    expect(listings()).toBe(2);
    module.sync.refreshIfStale(person.userId, { now: Date.now() + 31_000 });
    module.sync.refreshIfStale(person.userId, { now: Date.now() + 31_000 });
    await module.idle();
    expect(listings()).toBe(3);
  });

  test("a user with no recent sync gets one on their first recommendation", async () => {
    const { fake, context, module } = setup();
    const account = fake.createUser({ tasks: [{ content: "Pay rent", priority: 4, due: { date: "2020-01-01" } }] });
    const person = connectAccount(context, account);
    context.modules.recommender.settings.update({ servingPolicy: "heuristic", epsilon: 0 });
    const first = await (await context.request("/api/recommend", { method: "POST", headers: { cookie: person.cookie } })).json();
    // The tip did not wait for Todoist: nothing was synced yet when it was chosen.
    expect(first.tip.kind).toBe("advice");
    await module.idle();
    expect(fake.count("GET", "/api/v1/tasks")).toBe(1);
    const second = await (await context.request("/api/recommend", { method: "POST", headers: { cookie: person.cookie } })).json();
    expect(second.tip.content).toBe("Pay rent");
  });

  test("fresh after connect: the tip page gives way to the tasks the first sync brings, though a tip was just shown", async () => {
    const { fake, context, module } = setup();
    fake.createUser({
      tasks: [
        { content: "Call the dentist", priority: 4, due: { date: "2020-01-01" } },
        { content: "Water the plants", priority: 1 },
      ],
    });
    const person = signIn(context.database);
    context.modules.recommender.settings.update({ servingPolicy: "heuristic", epsilon: 0 });
    const page = async () => (await context.request("/", { headers: { cookie: person.cookie } })).text();
    // Before connecting: an advice, kept on screen across reloads by the stability rule.
    const before = await page();
    expect(before).not.toContain("Call the dentist");
    expect(await page()).toBe(before);

    const run = await connectTodoist(context, person);
    expect(run.outcome).toBe("connected");
    await module.idle();
    expect(await page()).toContain("Call the dentist");
  });
});

