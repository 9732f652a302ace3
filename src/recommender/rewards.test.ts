import { describe, expect, test } from "bun:test";
import { signIn } from "../testing/auth.ts";
import type { TestContext } from "../testing/harness.ts";
import { currentTip, expectSameModel, loggedDecision, react, reactions, seedTasks, tipApps } from "../testing/tips.ts";
import { HOUR_MS } from "../time.ts";

const { app } = tipApps();

/**
 * `count` more decisions on the same candidate as the tip `tipId` (ids `<tipId>-001`…), served
 * `laterMs` after it; returns when the tip itself was served.
 */
function decidedAgain(context: TestContext, tipId: string, { count, laterMs = 0 }: { count: number; laterMs?: number }): number {
  context.database.sqlite.run(
    `WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n WHERE v < ?)
     INSERT INTO tip_views (id, user_id, candidate_key, kind, source, content, why, policy, served_at)
     SELECT printf('%s-%03d', t.id, n.v), t.user_id, t.candidate_key, t.kind, t.source, t.content, t.why, t.policy, t.served_at + ? FROM tip_views t, n WHERE t.id = ?`,
    [count, laterMs, tipId],
  );
  return context.database.sqlite.query<{ servedAt: number }, [string]>("SELECT served_at AS servedAt FROM tip_views WHERE id = ?").get(tipId)!.servedAt;
}

/** The serving decision's features of a tip: what its reward teaches the bandit. */
const servedFeatures = (context: TestContext, tipId: string) => loggedDecision(context, tipId).x;

describe("no reaction", () => {
  test("a tip nobody reacts to within the window is a weak negative, once; a reaction that comes later replaces it exactly", async () => {
    const context = app();
    const { feedback, bandits, idle } = context.modules.recommender;
    const person = signIn(context.database);
    seedTasks(context, person.userId, ["File the tax return", "Call the dentist"]);
    const shown = await currentTip(context, person);
    const servedAt = Date.now();
    const x = servedFeatures(context, shown.id);

    expect(await feedback.markIgnored(servedAt + 23 * HOUR_MS)).toBe(0);
    expect(reactions(context, shown.id)).toEqual([]);

    expect(await feedback.markIgnored(servedAt + 25 * HOUR_MS)).toBe(1);
    await idle();
    expect(reactions(context, shown.id)).toMatchObject([{ action: "ignored", reward: -0.05, source: "system", undoneAt: null, banditAppliedAt: expect.any(Number) }]);
    const weak = (await context.scorer.update({ policy: "linucb", state: null, x, reward: -0.05 })).state;
    expectSameModel(bandits.get(person.userId, "linucb"), weak);
    // Once only, and it is nobody's action: no undo is offered, and the first-run hint stays.
    expect(await feedback.markIgnored(servedAt + 26 * HOUR_MS)).toBe(0);
    expect(reactions(context, shown.id)).toHaveLength(1);
    expect(feedback.undoable(person.userId)).toBeNull();
    expect(feedback.hasReacted(person.userId)).toBe(false);
    expect((await context.request(`/api/tip/${shown.id}/undo`, { method: "POST", headers: { cookie: person.cookie } })).status).toBe(404);

    // The page was left open: a "done" a day later still counts, and the weak negative leaves the bandit.
    const late = await react(context, person, shown.id, "done");
    expect(await late.json()).toEqual({ ok: true, duplicate: false });
    await idle();
    const [ignored, done] = reactions(context, shown.id);
    expect(ignored).toMatchObject({ action: "ignored", undoneAt: expect.any(Number), banditRevertedAt: expect.any(Number) });
    expect(done).toMatchObject({ action: "done", reward: 1, undoneAt: null, banditAppliedAt: expect.any(Number) });
    const onlyDone = (await context.scorer.update({ policy: "linucb", state: null, x, reward: 1 })).state;
    expectSameModel(bandits.get(person.userId, "linucb"), onlyDone);
    expect(feedback.undoable(person.userId)).toMatchObject({ tipId: shown.id, action: "done" });
  });

  test("tips served at one time (a push round) past a batch's end are each counted once", async () => {
    const context = app({ python: false });
    const { feedback } = context.modules.recommender;
    const person = signIn(context.database);
    seedTasks(context, person.userId, ["File the tax return"]);
    const shown = await currentTip(context, person);
    // 700 more unanswered tips served at the very same time as this one.
    const servedAt = decidedAgain(context, shown.id, { count: 700 });

    expect(await feedback.markIgnored(servedAt + 25 * HOUR_MS)).toBe(701);
    expect(await feedback.markIgnored(servedAt + 26 * HOUR_MS)).toBe(0);
    const counted = context.database.sqlite.query<{ n: number }, []>("SELECT count(DISTINCT tip_id) AS n FROM tip_feedback WHERE action = 'ignored'").get()!;
    expect(counted.n).toBe(701);
  });

  test("a tip decided again later on the same candidate leaves its outcome to the later decision", async () => {
    const context = app({ python: false });
    const { feedback } = context.modules.recommender;
    const person = signIn(context.database);
    seedTasks(context, person.userId, ["File the tax return"]);
    const shown = await currentTip(context, person);
    // A reload a minute later decides again and shows the same task; nobody reacts to either.
    const servedAt = decidedAgain(context, shown.id, { count: 1, laterMs: 60_000 });
    expect(await feedback.markIgnored(servedAt + 26 * HOUR_MS)).toBe(1);
    expect(reactions(context, shown.id)).toEqual([]);
    expect(reactions(context, `${shown.id}-001`)).toMatchObject([{ action: "ignored" }]);
  });

  test("a tip answered in time is left alone, and a window of 0 turns the weak negative off", async () => {
    const context = app({ python: false });
    const { feedback, settings } = context.modules.recommender;
    const person = signIn(context.database);
    seedTasks(context, person.userId, ["File the tax return", "Call the dentist", "Water the plants"]);
    const answered = await currentTip(context, person);
    expect((await react(context, person, answered.id, "snooze")).status).toBe(200);
    const unanswered = await currentTip(context, person);
    expect(unanswered.id).not.toBe(answered.id);

    settings.update({ ignoredAfterHours: 0 });
    expect(await feedback.markIgnored(Date.now() + 48 * HOUR_MS)).toBe(0);
    settings.update({ ignoredAfterHours: 2, ignoredReward: -0.1 });
    expect(await feedback.markIgnored(Date.now() + 3 * HOUR_MS)).toBe(1);
    expect(reactions(context, answered.id).map((row) => row.action)).toEqual(["snooze"]);
    expect(reactions(context, unanswered.id)).toMatchObject([{ action: "ignored", reward: -0.1 }]);
    expect(() => settings.update({ ignoredReward: 0.5 })).toThrow();
    expect(settings.get().ignoredReward).toBe(-0.1);
  });
});
