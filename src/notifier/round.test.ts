import { afterEach, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { tasks, tipViews } from "../db/schema.ts";
import { signIn, type SignedIn } from "../testing/auth.ts";
import { browserSubscription, startFakePush } from "../testing/fake-push.ts";
import { createTestApp, type TestContext } from "../testing/harness.ts";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../time.ts";
import { inQuietHours, startOfLocalDay } from "./decide.ts";

const contexts: TestContext[] = [];
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close();
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe("quiet hours", () => {
  const at = (iso: string) => Date.parse(iso);
  test("are read on the person's own clock, in any zone, also across midnight", () => {
    // 23:30 in Paris (CET), 17:30 in New York (EST), 07:30 next morning in Tokyo.
    const now = at("2026-12-05T22:30:00Z");
    expect(inQuietHours(now, "Europe/Paris", "22:00", "08:00")).toBe(true);
    expect(inQuietHours(now, "America/New_York", "22:00", "08:00")).toBe(false);
    expect(inQuietHours(now, "Asia/Tokyo", "22:00", "08:00")).toBe(true);
    expect(inQuietHours(now, "Asia/Tokyo", "22:00", "07:30")).toBe(false);
    expect(inQuietHours(now, "America/New_York", "17:00", "18:00")).toBe(true);
    expect(inQuietHours(now, "America/New_York", "18:00", "17:00")).toBe(false);
    // Equal ends: no quiet hours at all.
    expect(inQuietHours(now, "Europe/Paris", "22:00", "22:00")).toBe(false);
  });

  test("follow DST changes: the window is wall-clock time on the day the clocks move", () => {
    // New York springs forward at 02:00 on 8 March 2026: 03:15 EDT is 07:15 UTC.
    expect(inQuietHours(at("2026-03-08T07:15:00Z"), "America/New_York", "01:30", "03:30")).toBe(true);
    expect(inQuietHours(at("2026-03-08T07:45:00Z"), "America/New_York", "01:30", "03:30")).toBe(false);
    // Paris falls back at 03:00 on 25 October 2026: 02:30 comes twice, and both are quiet.
    expect(inQuietHours(at("2026-10-25T00:30:00Z"), "Europe/Paris", "02:00", "03:00")).toBe(true);
    expect(inQuietHours(at("2026-10-25T01:30:00Z"), "Europe/Paris", "02:00", "03:00")).toBe(true);
    expect(inQuietHours(at("2026-10-25T02:30:00Z"), "Europe/Paris", "02:00", "03:00")).toBe(false);
    // The day that lost an hour starts at its own midnight.
    expect(startOfLocalDay(at("2026-03-08T16:00:00Z"), "America/New_York")).toBe(at("2026-03-08T05:00:00Z"));
    expect(startOfLocalDay(at("2026-03-09T16:00:00Z"), "America/New_York")).toBe(at("2026-03-09T04:00:00Z"));
  });
});

describe("push rounds", () => {
  function setup(env: Record<string, string> = {}) {
    const fake = startFakePush();
    cleanups.push(() => fake.stop());
    const context = createTestApp(env);
    contexts.push(context);
    context.modules.recommender.settings.update({ servingPolicy: "heuristic", epsilon: 0 });
    return { fake, context };
  }

  /** An opted-in person in UTC with one device on the fake, and quiet hours well away from now. */
  async function optedIn(context: TestContext, fake: ReturnType<typeof startFakePush>) {
    const person = signIn(context.database);
    const hour = new Date().getUTCHours();
    const away = (offset: number) => `${String((hour + offset) % 24).padStart(2, "0")}:00`;
    await patch(context, person, { pushOptIn: true, timezone: "UTC", quietHoursStart: away(6), quietHoursEnd: away(8) });
    const device = await browserSubscription(fake.endpoint());
    const subscribed = await context.request("/api/push/subscribe", json(person, "POST", device.json));
    expect(subscribed.status).toBe(200);
    return { person, device, away };
  }

  const json = (person: SignedIn, method: string, body: unknown) => ({
    method,
    headers: { cookie: person.cookie, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const patch = (context: TestContext, person: SignedIn, changes: object) => context.request("/api/user/profile", json(person, "PATCH", changes));

  function addTask(context: TestContext, userId: string, id: string, fields: { priority: number; dueAt?: number }) {
    context.database.db
      .insert(tasks)
      .values({
        userId,
        provider: "todoist",
        externalId: id,
        content: `Task ${id}`,
        priority: fields.priority,
        dueKind: fields.dueAt === undefined ? null : "instant",
        dueValue: fields.dueAt === undefined ? null : new Date(fields.dueAt).toISOString(),
        addedAt: Date.now() - DAY_MS,
        syncedAt: Date.now(),
      })
      .run();
    context.modules.recommender.pool.invalidate(userId);
  }

  const pushedTips = (context: TestContext, userId: string) =>
    context.database.db.select().from(tipViews).where(and(eq(tipViews.userId, userId), eq(tipViews.channel, "push"))).all();

  test("an urgent task due within the hour is pushed, once, as a served tip whose reaction reaches the bandit", async () => {
    const { fake, context } = setup({ PYTHON: "python3", ML_TIMEOUT_MS: "2000" });
    const { notifier } = context.modules;
    const { person, device } = await optedIn(context, fake);
    addTask(context, person.userId, "urgent", { priority: 4, dueAt: Date.now() + 30 * MINUTE_MS });

    const round = await notifier.runRound();
    expect(round).toMatchObject({ considered: 1, sent: 1 });
    await context.runtime.outbox.idle();
    expect(fake.received).toHaveLength(1);
    const [tip] = pushedTips(context, person.userId);
    expect(tip).toMatchObject({ candidateKey: "task:todoist:urgent", channel: "push" });
    expect(JSON.parse(await device.decrypt(fake.received[0]!.body))).toEqual({ kind: "tip", tipId: tip!.id, text: "Task urgent", actions: ["done", "snooze"] });
    expect(fake.received[0]!.headers).toMatchObject({ urgency: "high", topic: "oo-tip", ttl: "3600" });
    const serving = context.database.db.select().from(tipViews).where(eq(tipViews.id, tip!.id)).get()!;
    expect(serving.propensity).toBeGreaterThan(0);

    // A long task is cut to keep the push under 1 KB.
    addTask(context, person.userId, "long", { priority: 4, dueAt: Date.now() + 5 * MINUTE_MS });
    context.database.sqlite.run("UPDATE tasks SET content = ? WHERE external_id = 'long'", ["x".repeat(3000)]);
    context.modules.recommender.pool.invalidate(person.userId);
    expect((await notifier.runRound()).sent).toBe(1);
    await context.runtime.outbox.idle();
    expect(fake.received[1]!.body.length).toBeLessThan(1024);
    expect(JSON.parse(await device.decrypt(fake.received[1]!.body)).text).toHaveLength(400);
    // The same candidate is not pushed again within 24 h.
    expect((await notifier.runRound()).skipped.duplicate).toBe(1);
    // Opened from the notification, the page shows the tip it carried, even after another was served.
    const other = await (await context.request("/api/recommend", { method: "POST", headers: { cookie: person.cookie } })).json();
    const opened = await (await context.request(`/?tip=${tip!.id}`, { headers: { cookie: person.cookie } })).text();
    expect(opened).toContain(`data-tip-id="${tip!.id}"`);
    // Someone else's tip id shows that person nothing of it.
    const stranger = signIn(context.database);
    expect(await (await context.request(`/?tip=${tip!.id}`, { headers: { cookie: stranger.cookie } })).text()).not.toContain(tip!.id);
    expect(other.tip.id).not.toBe(tip!.id);
    // A reaction from the notification is a reaction to that tip.
    const reacted = await context.request(`/api/tip/${tip!.id}/feedback`, json(person, "POST", { action: "done" }));
    expect(await reacted.json()).toEqual({ ok: true, duplicate: false });
    await context.modules.recommender.idle();
    expect(context.modules.recommender.bandits.get(person.userId, "linucb")).toMatchObject({ pulls: 1, reward_sum: 1 });
    expect(fake.received).toHaveLength(2);
  });

  test("quiet hours, the daily cap, an open page, no device and nothing worth it each keep a person from a push, and are counted", async () => {
    const { fake, context } = setup();
    const { notifier } = context.modules;
    const quiet = await optedIn(context, fake);
    await patch(context, quiet.person, { quietHoursStart: quiet.away(-1), quietHoursEnd: quiet.away(1) });
    addTask(context, quiet.person.userId, "q", { priority: 4, dueAt: Date.now() - HOUR_MS });

    const capped = await optedIn(context, fake);
    addTask(context, capped.person.userId, "c1", { priority: 4, dueAt: Date.now() + 10 * MINUTE_MS });
    addTask(context, capped.person.userId, "c2", { priority: 4, dueAt: Date.now() + 20 * MINUTE_MS });
    notifier.settings.update({ dailyCap: 1 });

    const looking = await optedIn(context, fake);
    addTask(context, looking.person.userId, "l", { priority: 4, dueAt: Date.now() + 10 * MINUTE_MS });
    expect((await context.request("/", { headers: { cookie: looking.person.cookie } })).status).toBe(200);

    const calm = await optedIn(context, fake);
    addTask(context, calm.person.userId, "someday", { priority: 1 });

    const deviceless = signIn(context.database);
    await patch(context, deviceless, { pushOptIn: true });
    // Not opted in: never considered.
    const silent = signIn(context.database);
    addTask(context, silent.userId, "s", { priority: 4, dueAt: Date.now() });

    const first = await notifier.runRound();
    expect(first).toMatchObject({ considered: 5, sent: 1 });
    expect(first.skipped).toMatchObject({ quiet_hours: 1, page_open: 1, not_worth: 1, no_device: 1, daily_cap: 0 });
    const second = await notifier.runRound();
    expect(second).toMatchObject({ sent: 0 });
    expect(second.skipped).toMatchObject({ quiet_hours: 1, page_open: 1, not_worth: 1, no_device: 1, daily_cap: 1 });
    expect(notifier.lastRound()).toEqual(second);
    await context.runtime.outbox.idle();
    expect(fake.received).toHaveLength(1);
    expect(pushedTips(context, capped.person.userId)).toHaveLength(1);
    // Nothing about the skipped ones reached the decision log.
    for (const someone of [quiet.person, looking.person, calm.person]) expect(pushedTips(context, someone.userId)).toEqual([]);
  });

  test("the job runs a round every roundMinutes (5): triggered again sooner, it waits", async () => {
    const { context } = setup();
    const { notifier } = context.modules;
    await context.jobs.trigger("push.round");
    const first = notifier.lastRound();
    expect(first).toMatchObject({ considered: 0, sent: 0 });
    await context.jobs.trigger("push.round");
    expect(notifier.lastRound()).toBe(first);
    expect(() => notifier.settings.update({ roundMinutes: 0 })).toThrow();
  });
});
