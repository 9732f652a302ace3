import { afterEach, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { banditStates, candidateStates, events, tasks, tipCandidates, tipFeedback, tipViews } from "../db/schema.ts";
import type { CandidatePool } from "./candidates/index.ts";
import { clockAt, FEATURE_NAMES, FEATURE_VERSION, FEATURE_VERSIONS, featureNames, featuresOf } from "./features.ts";

/** The candidate a decision chose, as the pool has it now. */
function servedCandidate(context: { pool: Pick<CandidatePool, "visible"> }, userId: string, key: string) {
  return context.pool.visible(userId, "Asia/Tokyo", Date.now()).find((candidate) => candidate.key === key)!;
}

/** A serving vector's entry by its name in ml/features.json. */
const feature = (vector: number[], name: string) => vector[FEATURE_NAMES.indexOf(name)];
import { explain } from "./recommend.ts";
import { signIn } from "../testing/auth.ts";
import { createTestApp, type TestContext, tempDir } from "../testing/harness.ts";
import { freePort } from "../testing/harness.ts";
import type { BanditState } from "../ml/protocol.ts";
import { loggedDecision } from "../testing/tips.ts";
import { policyVersionsById } from "./policy-versions.ts";

const DAY = 86_400_000;
const HOUR = 3_600_000;

const contexts: TestContext[] = [];
const dirs: { cleanup(): void }[] = [];
afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close();
  for (const dir of dirs.splice(0)) dir.cleanup();
});

/** The app with a real python3 scorer child (or none, with `python: false`). */
function app(options: { python?: boolean; env?: Record<string, string> } = {}) {
  const dir = tempDir();
  dirs.push(dir);
  const context = createTestApp({
    DATA_DIR: dir.path,
    ...(options.python === false ? {} : { PYTHON: "python3", ML_TIMEOUT_MS: "2000" }),
    ...options.env,
  });
  contexts.push(context);
  const { recommender } = context.modules;
  return { ...context, ...recommender };
}

type App = ReturnType<typeof app>;

function seedTasks(context: App, userId: string, rows: Partial<typeof tasks.$inferInsert>[]) {
  const now = Date.now();
  context.database.db
    .insert(tasks)
    .values(
      rows.map((row, index) => ({
        userId,
        provider: "todoist",
        externalId: `t${index}`,
        content: `Task ${index}`,
        priority: 1,
        addedAt: now - DAY,
        updatedAt: now - DAY,
        syncedAt: now,
        ...row,
      })),
    )
    .run();
  context.pool.invalidate(userId);
}

const json = (body: unknown, cookie: string) => ({
  method: "POST",
  headers: { "content-type": "application/json", cookie },
  body: JSON.stringify(body),
});

async function recommendOverHttp(context: App, cookie: string) {
  const response = await context.request("/api/recommend", { method: "POST", headers: { cookie } });
  expect(response.status).toBe(200);
  return (await response.json()).tip as { id: string; kind: string; content: string; source: string; why: string };
}

async function feedbackOverHttp(context: App, cookie: string, tipId: string, action: string) {
  return context.request(`/api/tip/${tipId}/feedback`, json({ action }, cookie));
}

/** LinUCB's update, computed here independently: A⁻¹ ← A⁻¹ − (A⁻¹x)(A⁻¹x)ᵀ / (1 + xᵀA⁻¹x), b ← b + r·x. */
function expectedUpdate(state: BanditState | null, x: number[], reward: number): BanditState {
  const d = x.length;
  const inverse = state?.A_inv ?? Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? 1 : 0)));
  const ax = inverse.map((row) => row.reduce((sum, value, j) => sum + value * x[j]!, 0));
  const denominator = 1 + x.reduce((sum, value, i) => sum + value * ax[i]!, 0);
  return {
    d,
    A_inv: inverse.map((row, i) => row.map((value, j) => value - (ax[i]! * ax[j]!) / denominator)),
    b: (state?.b ?? new Array(d).fill(0)).map((value, i) => value + reward * x[i]!),
    pulls: (state?.pulls ?? 0) + 1,
    reward_sum: (state?.reward_sum ?? 0) + reward,
  };
}

describe("POST /api/recommend", () => {
  test("signed out: 401", async () => {
    const context = app({ python: false });
    expect((await context.request("/api/recommend", { method: "POST" })).status).toBe(401);
  });

  test("with no integration: an advice from the library, logged with its propensity, scorer ok", async () => {
    const context = app();
    const person = signIn(context.database, { timezone: "Europe/Paris" });
    const tip = await recommendOverHttp(context, person.cookie);
    expect(tip).toMatchObject({ kind: "advice", source: "advice" });
    expect(tip.content.length).toBeGreaterThan(10);
    expect(tip.why).toContain("oO advice");

    const view = context.database.db.select().from(tipViews).where(eq(tipViews.id, tip.id)).get()!;
    expect(view).toMatchObject({ userId: person.userId, kind: "advice", policy: "linucb", actedAt: null });
    const logged = loggedDecision(context, tip.id);
    const serving = logged.row;
    expect(serving).toMatchObject({ policy: "linucb", scorerStatus: "ok", featureVersion: FEATURE_VERSION, kind: "advice", source: "advice" });
    expect(logged.servedKey).toBe(view.candidateKey);
    expect(serving.propensity).toBeGreaterThan(0);
    expect(serving.propensity).toBeLessThanOrEqual(1);
    expect(logged.x).toHaveLength(FEATURE_NAMES.length);
    // Scores are logged as the scorer gave them, as float32: recomputed from the rebuilt vector, the same to seven digits.
    const chosenAt = logged.candidates.indexOf(view.candidateKey);
    const { alpha } = context.settings.get();
    const again = await context.scorer.score({ policy: "linucb", params: { alpha, detail: false }, state: null, xs: [logged.x] });
    expect(serving.scores[chosenAt]).toBe(Math.fround(again.scores[0]!));
    // Every candidate considered, once per decision, with the serving policy's scores in that order.
    expect(logged.candidates.length).toBeGreaterThan(3);
    expect(new Set(logged.candidates).size).toBe(logged.candidates.length);
    expect(serving.scores).toHaveLength(logged.candidates.length);
    expect(serving.latencyMs).toBeGreaterThan(0);
    // The default shadow (heuristic) picked among the same candidates without serving: its pick is logged.
    expect(serving.shadows).toEqual([[expect.any(Number), logged.shadows.heuristic!]]);
    // Each policy version (code and parameters) is stored once and referred to.
    const versions = policyVersionsById(context.database.sqlite);
    expect(versions.get(serving.policyVersionId!)).toEqual({ policy: "linucb", version: expect.stringMatching(/^linucb@\d+ alpha=/) });
    expect(versions.get(serving.shadows![0]![0])).toEqual({ policy: "heuristic", version: expect.stringMatching(/^heuristic@/) });
    expect(logged.candidates).toContain(logged.shadows.heuristic!);

    // The event says which tip and where; the tip's row holds the rest.
    const served = context.bus.tail({ subject: "signals.tip.served" });
    expect(served.at(-1)).toMatchObject({ userId: person.userId, payload: { tipId: tip.id, channel: "page" } });
  });

  test("tasks become candidates; features use the user's zone; any number of shadow policies log", async () => {
    const context = app();
    const person = signIn(context.database, { timezone: "Asia/Tokyo" });
    seedTasks(context, person.userId, [
      { content: "Renew passport", priority: 4, dueKind: "date", dueValue: "2020-01-01" },
      { content: "Call the plumber", priority: 2 },
    ]);
    context.settings.update({ servingPolicy: "heuristic", shadowPolicies: ["linucb", "random"], epsilon: 0 });
    const tip = await recommendOverHttp(context, person.cookie);
    expect(tip).toMatchObject({ kind: "todo", source: "todoist", content: "Renew passport" });
    expect(tip.why).toStartWith("Overdue by");

    const { row, x, shadows, candidates } = loggedDecision(context, tip.id);
    expect(row.policy).toBe("heuristic");
    expect(Object.keys(shadows).sort()).toEqual(["linucb", "random"]);
    expect(candidates).toContain(shadows.linucb!);
    expect(candidates).toContain(shadows.random!);
    expect(row.propensity).toBe(1);
    // Logged as computed on the person's clock, not the server's.
    expect(x).toEqual(featuresOf(servedCandidate(context, person.userId, row.candidateKey), clockAt(row.servedAt, "Asia/Tokyo")));
    expect(feature(x, "is_overdue")).toBe(1);
  });

  test("tips written by the LLM are candidates until they expire; an advice among them has no age, like the library's", async () => {
    const context = app({ python: false });
    const person = signIn(context.database);
    const now = Date.now();
    const generated = (id: string, kind: "todo" | "advice", expiresAt: number | null) => ({
      id,
      userId: person.userId,
      kind,
      content: `Written ${id}`,
      promptVersion: "p1",
      llmModel: "m1",
      createdAt: now - 3 * DAY,
      expiresAt,
    });
    context.database.db
      .insert(tipCandidates)
      .values([generated("advice", "advice", null), generated("todo", "todo", now + 30_000), generated("expired", "advice", now - 1)])
      .run();
    const writtenAt = (at: number) => context.pool.visible(person.userId, "UTC", at).filter((candidate) => candidate.source === "llm");
    const llm = writtenAt(now);
    expect(llm.map((candidate) => candidate.key).sort()).toEqual(["llm:advice", "llm:todo"]);
    const clock = clockAt(now, "UTC");
    const advice = llm.find((candidate) => candidate.kind === "advice")!;
    const todo = llm.find((candidate) => candidate.kind === "todo")!;
    expect([feature(featuresOf(advice, clock), "is_overdue"), feature(featuresOf(advice, clock), "task_age_days")]).toEqual([0, 0]);
    expect(feature(featuresOf(todo, clock), "task_age_days")).toBeCloseTo(3 / 30, 3);
    expect(explain(advice, clock, false)).toBe("A small thing for any time · written for you");
    expect(explain(todo, clock, false)).toBe("Waiting for 3 days · written for you");
    // Gone once expired, though the person's candidates were loaded (and are kept a minute) just before.
    expect(writtenAt(now + 30_000).map((candidate) => candidate.key)).toEqual(["llm:advice"]);
  });

  test("PYTHON missing: the heuristic serves and the decision says the scorer is absent", async () => {
    const context = app({ python: false });
    const person = signIn(context.database);
    const tip = await recommendOverHttp(context, person.cookie);
    const serving = context.database.db
      .select().from(tipViews).where(eq(tipViews.id, tip.id))
      .get()!;
    expect(serving).toMatchObject({ policy: "heuristic", scorerStatus: "absent" });
    expect(context.scorer.status().state).toBe("absent");
    // The default heuristic shadow is not logged beside itself: each policy once.
    expect(serving.shadows).toBeNull();

    // The reaction is kept for later; nothing retries or logs per request while python3 is missing.
    await recommendOverHttp(context, person.cookie);
    expect((await feedbackOverHttp(context, person.cookie, tip.id, "done")).status).toBe(200);
    await context.jobs.trigger("bandit-backlog");
    expect(context.database.db.select().from(tipFeedback).get()!.banditAppliedAt).toBeNull();
    await Bun.sleep(5);
    expect(context.lines.filter((line) => line.msg === "serving policy failed; heuristic serves")).toHaveLength(1);
    expect(context.lines.filter((line) => String(line.msg).startsWith("bandit update"))).toHaveLength(0);
  });

  test("the scorer child killed mid-run: fallback serves, then the restarted child serves again", async () => {
    const context = app();
    const person = signIn(context.database);
    await context.scorer.health();
    const firstPid = context.scorer.status().pid!;
    process.kill(firstPid, "SIGKILL");
    await Bun.sleep(20);
    const during = await recommendOverHttp(context, person.cookie);
    const duringRow = context.database.db.select().from(tipViews).where(eq(tipViews.id, during.id)).get()!;
    expect(duringRow).toMatchObject({ policy: "heuristic", scorerStatus: "down" });

    const deadline = Date.now() + 5000;
    while (context.scorer.status().state !== "up" && Date.now() < deadline) await Bun.sleep(25);
    expect(context.scorer.status().pid).not.toBe(firstPid);
    const after = await recommendOverHttp(context, person.cookie);
    const afterRow = context.database.db.select().from(tipViews).where(eq(tipViews.id, after.id)).get()!;
    expect(afterRow).toMatchObject({ policy: "linucb", scorerStatus: "ok" });
  });

  test("ML_SERVING_URL: the same decisions over HTTP to a remote scorer", async () => {
    const port = freePort();
    const remote = Bun.spawn(["python3", "ml/scorer.py", "--http", String(port)], { stdout: "ignore", stderr: "ignore" });
    try {
      const url = `http://127.0.0.1:${port}`;
      const deadline = Date.now() + 5000;
      for (;;) {
        try {
          if ((await fetch(`${url}/health`)).ok) break;
        } catch {}
        if (Date.now() > deadline) throw new Error("remote scorer did not start");
        await Bun.sleep(25);
      }
      const context = app({ env: { ML_SERVING_URL: url } });
      const person = signIn(context.database);
      const tip = await recommendOverHttp(context, person.cookie);
      const serving = context.database.db.select().from(tipViews).where(eq(tipViews.id, tip.id)).get()!;
      expect(serving).toMatchObject({ policy: "linucb", scorerStatus: "ok" });
      expect((await feedbackOverHttp(context, person.cookie, tip.id, "helpful")).status).toBe(200);
      expect(context.bandits.get(person.userId, "linucb")!.pulls).toBe(1);
    } finally {
      remote.kill();
      await remote.exited;
    }
  });

  test("nothing left to show: a kind advice, never an error", async () => {
    const context = app({ python: false });
    const person = signIn(context.database);
    const hideAll = Date.now() + DAY;
    const keys = context.database.sqlite.query<{ id: string }, []>("SELECT id FROM advice").all().map((row) => `advice:${row.id}`);
    context.database.db
      .insert(candidateStates)
      .values(keys.map((candidateKey) => ({ userId: person.userId, candidateKey, hiddenUntil: hideAll, updatedAt: Date.now() })))
      .run();
    const tip = await recommendOverHttp(context, person.cookie);
    expect(tip.content).toContain("Nothing is waiting for you");
    expect(tip.why).toContain("Your list is clear");
    // It suggests nothing: a reaction to it is refused, and nothing is stored or learnt.
    for (const action of ["done", "helpful", "dismiss"] as const) {
      const refused = await feedbackOverHttp(context, person.cookie, tip.id, action);
      expect(refused.status).toBe(409);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("nothing_to_react_to");
    }
    expect(context.database.db.select().from(tipFeedback).all()).toHaveLength(0);
    expect(context.database.db.select().from(banditStates).all()).toHaveLength(0);
    // The page keeps it only while nothing is waiting: a task arriving replaces it at once.
    expect((await context.recommender.current({ id: person.userId, timezone: "UTC" })).id).toBe(tip.id);
    seedTasks(context, person.userId, [{ content: "Freshly synced" }]);
    expect((await context.recommender.current({ id: person.userId, timezone: "UTC" })).content).toBe("Freshly synced");
  });

  test("the page shows the last tip served while unanswered; an older unanswered one never comes back", async () => {
    const context = app({ python: false });
    const person = signIn(context.database);
    const user = { id: person.userId, timezone: "UTC" };
    const latest = await recommendOverHttp(context, person.cookie);
    const latestKey = context.database.db.select().from(tipViews).where(eq(tipViews.id, latest.id)).get()!.candidateKey;
    // A tip served a minute earlier for another candidate that is still visible, left unanswered.
    const other = context.pool.visible(person.userId, "UTC", Date.now()).find((candidate) => candidate.key !== latestKey)!;
    const olderId = Bun.randomUUIDv7();
    context.database.db
      .insert(tipViews)
      .values({ id: olderId, userId: person.userId, candidateKey: other.key, kind: other.kind, source: other.source, content: other.content, why: "why", policy: "heuristic", candidates: [other.key], servedAt: Date.now() - 60_000 })
      .run();
    expect((await context.recommender.current(user)).id).toBe(latest.id);
    expect((await feedbackOverHttp(context, person.cookie, latest.id, "helpful")).status).toBe(200);
    const next = await context.recommender.current(user);
    expect([olderId, latest.id]).not.toContain(next.id);
  });
});

describe("POST /api/tip/:id/feedback", () => {
  test("a reward moves the bandit exactly as LinUCB says, through the scorer", async () => {
    const context = app();
    const person = signIn(context.database);
    const first = await recommendOverHttp(context, person.cookie);
    const x1 = loggedDecision(context, first.id).x;
    const response = await feedbackOverHttp(context, person.cookie, first.id, "done");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, duplicate: false });
    const afterOne = context.database.db.select().from(banditStates).where(eq(banditStates.userId, person.userId)).get()!;
    const expectedOne = expectedUpdate(null, x1, 1);
    expect(afterOne.pulls).toBe(1);
    expect(afterOne.rewardSum).toBe(1);
    const stateOne = afterOne.state as unknown as BanditState;
    stateOne.A_inv.forEach((row, i) => row.forEach((value, j) => expect(value).toBeCloseTo(expectedOne.A_inv[i]![j]!, 9)));
    stateOne.b.forEach((value, i) => expect(value).toBeCloseTo(expectedOne.b[i]!, 9));

    const second = await recommendOverHttp(context, person.cookie);
    const x2 = loggedDecision(context, second.id).x;
    await feedbackOverHttp(context, person.cookie, second.id, "not_helpful");
    const stateTwo = context.bandits.get(person.userId, "linucb")!;
    const expectedTwo = expectedUpdate(expectedOne, x2, -0.5);
    expect(stateTwo.pulls).toBe(2);
    expect(stateTwo.reward_sum).toBeCloseTo(0.5, 12);
    stateTwo.b.forEach((value, i) => expect(value).toBeCloseTo(expectedTwo.b[i]!, 9));
    const feedbackRows = context.database.db.select().from(tipFeedback).where(eq(tipFeedback.userId, person.userId)).all();
    expect(feedbackRows.map((row) => [row.action, row.reward, row.banditAppliedAt !== null])).toEqual([
      ["done", 1, true],
      ["not_helpful", -0.5, true],
    ]);
    expect(context.bus.tail({ subject: "signals.tip.feedback" }).map((event) => event.payload)).toEqual([
      { tipId: first.id, action: "done", reward: 1, source: "user" },
      { tipId: second.id, action: "not_helpful", reward: -0.5, source: "user" },
    ]);
  });

  test("100 concurrent reactions for one user: exactly 100 pulls (updates serialized per user)", async () => {
    const context = app();
    const person = signIn(context.database);
    const tips = [];
    for (let n = 0; n < 100; n++) tips.push(await context.recommender.recommend({ id: person.userId, timezone: "UTC" }));
    const responses = await Promise.all(
      tips.map((tip, n) => feedbackOverHttp(context, person.cookie, tip.id, ["done", "dismiss", "snooze", "helpful", "not_helpful"][n % 5]!)),
    );
    expect(responses.every((response) => response.status === 200)).toBe(true);
    const row = context.database.db.select().from(banditStates).where(eq(banditStates.userId, person.userId)).get()!;
    expect(row.pulls).toBe(100);
    expect(row.rewardSum).toBeCloseTo(20 * (1 + 0 - 1 + 0.5 - 0.5), 9);
    expect(row.version).toBe(100);
  }, 30_000);

  test("what each reaction is worth is a setting, checked when changed, fixed for a reaction once recorded", async () => {
    const context = app({ python: false });
    const person = signIn(context.database);
    expect(context.settings.get().rewards).toEqual({ done: 1, snooze: 0, dismiss: -1, helpful: 0.5, not_helpful: -0.5 });
    expect(() => context.settings.update({ rewards: { done: 2, snooze: 0, dismiss: -1, helpful: 0.5, not_helpful: -0.5 } })).toThrow();
    expect(context.settings.get().rewards.done).toBe(1);
    context.settings.update({ rewards: { done: 0.8, snooze: -0.1, dismiss: -1, helpful: 0.6, not_helpful: -0.4 } });
    const tip = await recommendOverHttp(context, person.cookie);
    await feedbackOverHttp(context, person.cookie, tip.id, "snooze");
    context.settings.update({ rewards: { done: 1, snooze: 0, dismiss: -1, helpful: 0.5, not_helpful: -0.5 } });
    expect(context.database.db.select().from(tipFeedback).where(eq(tipFeedback.tipId, tip.id)).get()!.reward).toBe(-0.1);
  });

  test("a tip takes one reaction: a repeat or a second action is recorded once and rewards once", async () => {
    const context = app();
    const person = signIn(context.database);
    const tip = await recommendOverHttp(context, person.cookie);
    await feedbackOverHttp(context, person.cookie, tip.id, "helpful");
    for (const action of ["helpful", "dismiss", "done"]) {
      const again = await feedbackOverHttp(context, person.cookie, tip.id, action);
      expect(await again.json()).toEqual({ ok: true, duplicate: true });
    }
    expect(context.database.db.select().from(tipFeedback).all().map((row) => row.action)).toEqual(["helpful"]);
    expect(context.bandits.get(person.userId, "linucb")!.pulls).toBe(1);
    expect(context.database.db.select().from(candidateStates).get()!.lastAction).toBe("helpful");
  });

  test("unknown tip or someone else's: 404; bad action: 400; nothing changes", async () => {
    const context = app({ python: false });
    const owner = signIn(context.database);
    const stranger = signIn(context.database);
    const tip = await recommendOverHttp(context, owner.cookie);
    const eventsBefore = context.database.db.select().from(events).all().length;
    const unknown = await feedbackOverHttp(context, owner.cookie, "no-such-tip", "done");
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error.code).toBe("tip_not_found");
    expect((await feedbackOverHttp(context, stranger.cookie, tip.id, "done")).status).toBe(404);
    const bad = await feedbackOverHttp(context, owner.cookie, tip.id, "explode");
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.message).toContain("action must be one of");
    expect((await context.request(`/api/tip/${tip.id}/feedback`, { method: "POST", headers: { cookie: owner.cookie } })).status).toBe(400);
    expect(context.database.db.select().from(tipFeedback).all()).toEqual([]);
    expect(context.database.db.select().from(candidateStates).all()).toEqual([]);
    expect(context.database.db.select().from(events).all()).toHaveLength(eventsBefore);
    expect(context.database.db.select().from(tipViews).where(eq(tipViews.id, tip.id)).get()!.actedAt).toBeNull();
  });

  test("snooze hides for 3 hours, dismiss for 24; done closes the task through its source", async () => {
    const context = app({ python: false });
    const person = signIn(context.database);
    const user = { id: person.userId, timezone: "UTC" };
    // All overdue, so they outrank any advice; the priorities order them.
    const overdue = { dueKind: "date" as const, dueValue: "2020-01-01" };
    seedTasks(context, person.userId, [
      { content: "A", priority: 4, ...overdue },
      { content: "B", priority: 3, ...overdue },
      { content: "C", priority: 2, ...overdue },
    ]);
    context.settings.update({ servingPolicy: "heuristic", shadowPolicies: [], epsilon: 0 });
    const closed: string[] = [];
    // The integrations module's task source hands a "done" to its closes (Todoist is not connected here).
    context.modules.integrations.closes.enqueue = (userId, taskId) => (closed.push(`${userId}:${taskId}`), null);
    const now = Date.now();
    const visibleTasks = (at: number) =>
      context.pool
        .visible(person.userId, "UTC", at)
        .filter((candidate) => candidate.kind === "todo")
        .map((candidate) => candidate.content);

    const a = await context.recommender.recommend(user, { now });
    expect(a.content).toBe("A");
    await context.feedback.give(person.userId, a.id, "snooze", { now });
    expect(visibleTasks(now + 3 * HOUR - 1000)).toEqual(["B", "C"]);
    expect(visibleTasks(now + 3 * HOUR + 1000)).toEqual(["A", "B", "C"]);

    const b = await context.recommender.recommend(user, { now });
    expect(b.content).toBe("B");
    await context.feedback.give(person.userId, b.id, "dismiss", { now });
    expect(visibleTasks(now + 23 * HOUR)).toEqual(["A", "C"]);
    expect(visibleTasks(now + 25 * HOUR)).toEqual(["A", "B", "C"]);

    const c = await context.recommender.recommend(user, { now });
    expect(c.content).toBe("C");
    await context.feedback.give(person.userId, c.id, "done", { now });
    expect(closed).toEqual([`${person.userId}:t2`]);
    expect(visibleTasks(now + 30 * DAY)).toEqual(["A", "B"]);
    // A task changed at Todoist after it was done here (reopened) comes back.
    context.database.db.update(tasks).set({ updatedAt: now + HOUR }).where(eq(tasks.externalId, "t2")).run();
    context.pool.invalidate(person.userId);
    expect(visibleTasks(now + 25 * HOUR)).toEqual(["A", "B", "C"]);
    // A recurring one, rolled forward by the close, comes back on the day it is due again, not before.
    const dueDay = new Date(now + 3 * DAY).toISOString().slice(0, 10);
    context.database.db.update(tasks).set({ dueIsRecurring: true, dueKind: "date", dueValue: dueDay }).where(eq(tasks.externalId, "t2")).run();
    context.pool.invalidate(person.userId);
    const dayStarts = Date.parse(`${dueDay}T00:00:00Z`);
    expect(visibleTasks(dayStarts - 1000)).toEqual(["A", "B"]);
    expect(visibleTasks(dayStarts + 1000)).toEqual(["A", "B", "C"]);
  });

  test("with the list clear at night, the next tip is expected when a done recurring task's day begins", () => {
    const context = app({ python: false });
    const person = signIn(context.database);
    const now = Date.parse("2026-03-10T23:00:00Z");
    seedTasks(context, person.userId, [{ content: "Water the plants", dueKind: "date", dueValue: "2026-03-11", dueIsRecurring: true, updatedAt: now - HOUR }]);
    context.database.db.insert(candidateStates).values({ userId: person.userId, candidateKey: "task:todoist:t0", doneAt: now - 2 * HOUR, updatedAt: now - 2 * HOUR }).run();
    context.pool.invalidate(person.userId);
    // Night lasts until 05:00; the plants are due again from midnight.
    expect(context.pool.nextChangeAt(person.userId, "UTC", now)).toBe(Date.parse("2026-03-11T00:00:00Z"));
    expect(context.pool.visible(person.userId, "UTC", now).some((candidate) => candidate.kind === "todo")).toBe(false);
    expect(context.pool.visible(person.userId, "UTC", Date.parse("2026-03-11T00:00:01Z")).some((candidate) => candidate.kind === "todo")).toBe(true);
  });

  test("scorer down during a reaction: recorded now, rewarded by the backlog job once the scorer is back", async () => {
    const context = app();
    const person = signIn(context.database);
    const tip = await recommendOverHttp(context, person.cookie);
    await context.scorer.health();
    process.kill(context.scorer.status().pid!, "SIGKILL");
    await Bun.sleep(20);
    expect((await feedbackOverHttp(context, person.cookie, tip.id, "done")).status).toBe(200);
    expect(context.database.db.select().from(tipFeedback).get()!.banditAppliedAt).toBeNull();
    expect(context.bandits.get(person.userId, "linucb")).toBeNull();

    const deadline = Date.now() + 5000;
    while (context.scorer.status().state !== "up" && Date.now() < deadline) await Bun.sleep(25);
    await context.jobs.trigger("bandit-backlog");
    expect(context.database.db.select().from(tipFeedback).get()!.banditAppliedAt).not.toBeNull();
    expect(context.bandits.get(person.userId, "linucb")!.pulls).toBe(1);
    await context.jobs.trigger("bandit-backlog");
    expect(context.bandits.get(person.userId, "linucb")!.pulls).toBe(1);
  });
});

describe("retention", () => {
  test("the purge job deletes decisions, reactions and their events older than RETENTION_DAYS and keeps the rest", async () => {
    const context = app({ python: false, env: { RETENTION_DAYS: "7" } });
    const person = signIn(context.database);
    const user = { id: person.userId, timezone: "UTC" };
    const now = Date.now();
    const old = await context.recommender.recommend(user, { now: now - 8 * DAY });
    await context.feedback.give(person.userId, old.id, "helpful", { now: now - 8 * DAY });
    const recent = await context.recommender.recommend(user, { now: now - DAY });
    await context.feedback.give(person.userId, recent.id, "helpful", { now: now - DAY });
    await context.jobs.trigger("retention");
    expect(context.database.db.select().from(tipFeedback).all().map((row) => row.tipId)).toEqual([recent.id]);
    expect(context.database.db.select().from(tipViews).all().map((row) => row.id)).toEqual([recent.id]);
    const tipEvents = context.database.db.select().from(events).all().filter((event) => event.subject.startsWith("signals.tip."));
    expect(tipEvents.length).toBeGreaterThan(0);
    expect(tipEvents.every((event) => (JSON.parse(event.payload) as { tipId: string }).tipId === recent.id)).toBe(true);
    expect(context.jobs.status().find((job) => job.name === "retention")!.lastError).toBeNull();
  });
});

describe("account deletion", () => {
  test("drops the person's cached candidates and bandit state along with their rows", async () => {
    const context = app();
    const person = signIn(context.database);
    seedTasks(context, person.userId, [{ content: "Private task" }]);
    // No exploration: the tip is an advice, so the reaction leaves the task visible in the cache.
    context.settings.update({ epsilon: 0 });
    const tip = await recommendOverHttp(context, person.cookie);
    expect(tip.content).not.toBe("Private task");
    await feedbackOverHttp(context, person.cookie, tip.id, "helpful");
    expect(context.bandits.get(person.userId, "linucb")!.pulls).toBe(1);
    expect(context.pool.visible(person.userId, "UTC", Date.now()).some((c) => c.content === "Private task")).toBe(true);

    expect((await context.request("/api/user", { method: "DELETE", headers: { cookie: person.cookie } })).status).toBe(200);
    expect(context.bandits.get(person.userId, "linucb")).toBeNull();
    expect(context.pool.visible(person.userId, "UTC", Date.now()).some((c) => c.content === "Private task")).toBe(false);
  });
});

describe("a feature version change", () => {
  test("a model learnt under another version is carried over to the serving one on first use, logged, and then learns on", async () => {
    const context = app();
    const person = signIn(context.database);
    const other = FEATURE_VERSIONS.find((version) => version !== FEATURE_VERSION)!;
    const otherNames = featureNames(other);
    // A real model of the other version: three rewards learnt by the scorer on its vectors.
    let learnt: BanditState | null = null;
    for (const [seed, reward] of [[1, 1], [2, -1], [3, 0.5]] as const) {
      const x = otherNames.map((_, index) => ((index * 7 + seed * 3) % 10) / 10);
      learnt = (await context.scorer.update({ policy: "linucb", state: learnt, x, reward })).state;
    }
    context.database.db
      .insert(banditStates)
      .values({ userId: person.userId, policy: "linucb", state: { ...learnt! }, pulls: 3, rewardSum: 0.5, featureVersion: other, version: 1, updatedAt: Date.now() })
      .run();

    const tip = await recommendOverHttp(context, person.cookie);
    const serving = context.database.db.select().from(tipViews).where(eq(tipViews.id, tip.id)).get()!;
    // The model answered (no silent fallback to the heuristic) in the serving version's terms.
    expect(serving).toMatchObject({ policy: "linucb", scorerStatus: "ok", featureVersion: FEATURE_VERSION });
    const row = context.database.db.select().from(banditStates).where(eq(banditStates.userId, person.userId)).get()!;
    expect(row.featureVersion).toBe(FEATURE_VERSION);
    const carried = row.state as unknown as BanditState;
    expect([carried.d, carried.pulls, carried.reward_sum]).toEqual([FEATURE_NAMES.length, 3, 0.5]);
    // What it learnt about the features both versions name is kept; the others start fresh.
    const shared = FEATURE_NAMES.filter((name) => otherNames.includes(name));
    const fresh = FEATURE_NAMES.filter((name) => !otherNames.includes(name));
    expect(shared.length).toBeGreaterThan(0);
    expect(fresh.length).toBeGreaterThan(0);
    for (const name of shared) expect(carried.b[FEATURE_NAMES.indexOf(name)]).toBeCloseTo(learnt!.b[otherNames.indexOf(name)]!, 12);
    for (const name of fresh) {
      expect(carried.b[FEATURE_NAMES.indexOf(name)]).toBe(0);
      expect(carried.A_inv[FEATURE_NAMES.indexOf(name)]![FEATURE_NAMES.indexOf(name)]).toBeCloseTo(1, 12);
    }
    expect(context.lines.some((line) => line.msg === "bandit model carried over to the serving feature version" && line.from === other)).toBe(true);

    expect((await feedbackOverHttp(context, person.cookie, tip.id, "done")).status).toBe(200);
    expect(context.bandits.get(person.userId, "linucb")!.pulls).toBe(4);
  });

  test("a model of a version this build does not know is started afresh, and says so", async () => {
    const context = app();
    const person = signIn(context.database);
    const state = { d: 2, A_inv: [[1, 0], [0, 1]], b: [0, 0], pulls: 0, reward_sum: 0 };
    context.database.db.insert(banditStates).values({ userId: person.userId, policy: "linucb", state, featureVersion: "f99", updatedAt: Date.now() }).run();
    const tip = await recommendOverHttp(context, person.cookie);
    const serving = context.database.db.select().from(tipViews).where(eq(tipViews.id, tip.id)).get()!;
    expect(serving.scorerStatus).toBe("ok");
    expect(context.database.db.select().from(banditStates).where(eq(banditStates.userId, person.userId)).all()).toEqual([]);
    expect(context.lines.some((line) => line.msg === "bandit model of an unknown feature version: started afresh" && line.from === "f99")).toBe(true);
  });
});
