import { describe, expect, test } from "bun:test";
import { decisionCandidates, tipViews } from "../db/schema.ts";
import { signIn } from "../testing/auth.ts";
import { migratedDatabase } from "../testing/harness.ts";
import { expectSameModel, tipApps } from "../testing/tips.ts";
import { DAY_MS, HOUR_MS } from "../time.ts";
import type { Candidate } from "./candidates/index.ts";
import { decodeContext, decodeMakings, encodeContext, encodeMakings, packScores, unpackScores } from "./context.ts";
import { DecisionCandidates } from "./decision-candidates.ts";
import { PolicyVersions } from "./policy-versions.ts";
import { clockAt, featuresOfAll } from "./features.ts";

const { app } = tipApps();

const task = (key: string, priority: number, dueAt: number | null, addedAt: number | null): Candidate =>
  ({ key, kind: "todo", source: "todoist", content: key, category: null, priority, dueAt, addedAt, timeOfDay: "any", dayKind: "any" }) as Candidate;
const advice = (key: string, category: string): Candidate =>
  ({ key, kind: "advice", source: "advice", content: key, category, priority: 2, dueAt: null, addedAt: null, timeOfDay: "evening", dayKind: "any" }) as Candidate;

describe("the compact decision log", () => {
  test("a policy version's id is stored before a decision refers to it, even when the decision's commit fails", async () => {
    const context = app({ python: false });
    const person = signIn(context.database);
    const { recommender } = context.modules.recommender;
    // The decision shares its commit with a write that fails: the batch rolls back, and each write is replayed alone.
    let tip: Promise<{ id: string }> | undefined;
    let failed: Promise<unknown> | undefined;
    await context.database.commits.hold(async () => {
      tip = recommender.recommend({ id: person.userId, timezone: "UTC" });
      // After the decision's write is queued, so the batch runs it before the one that fails.
      await Bun.sleep(200);
      failed = context.database.commits.write(() => {
        throw new Error("a neighbour's write failed");
      });
    });
    await expect(failed!).rejects.toThrow("a neighbour's write failed");
    const { id } = await tip!;
    const row = context.database.sqlite
      .query<{ version: string | null }, [string]>("SELECT p.version FROM tip_views v LEFT JOIN policy_versions p ON p.id = v.policy_version_id WHERE v.id = ?")
      .get(id)!;
    expect(row.version).toStartWith("heuristic@");
  });

  test("makings, contexts and scores read back as written; a context that does not read is refused", () => {
    const now = Date.UTC(2026, 11, 5, 9, 30, 0, 123);
    for (const candidate of [task("t1", 4, now - 1, now - 400 * DAY_MS), task("t2", 1, null, now), advice("a1", "rest"), advice("a2", "a theme added later")]) {
      const read = decodeMakings(encodeMakings(candidate));
      expect(read).toEqual({
        kind: candidate.kind,
        source: candidate.source,
        category: candidate.category === "a theme added later" ? "other" : candidate.category,
        priority: candidate.priority,
        dueAt: candidate.dueAt,
        addedAt: candidate.addedAt,
      });
    }
    const clock = clockAt(now, "Europe/Paris");
    expect(decodeContext(encodeContext(clock, [0, 7, 65_535]), now)).toEqual({ clock, refs: [0, 7, 65_535] });
    // Past 65,535 refs a person's contexts take four bytes a ref.
    const wide = encodeContext(clock, [70_000, 80_000]);
    expect([wide[0], wide.length]).toEqual([3, 3 + 8]);
    expect(decodeContext(wide, now)).toEqual({ clock, refs: [70_000, 80_000] });
    expect(() => decodeContext(Buffer.from([9, 1, 2]), now)).toThrow("format 9 is unknown");
    expect(() => decodeContext(Buffer.from([2, 1, 2, 5]), now)).toThrow("ends inside a ref");
    // Runs of consecutive refs, when they are the shorter: a person's usual list is a few bytes.
    const usual = [...Array.from({ length: 30 }, (_, index) => 200 + index), 7, ...Array.from({ length: 19 }, (_, index) => 70_000 + index)];
    const runs = encodeContext(clock, usual);
    expect(runs[0]).toBe(4);
    expect(runs.length).toBe(3 + (2 + 1) + (1 + 1) + (3 + 1));
    expect(decodeContext(runs, now)).toEqual({ clock, refs: usual });
    expect(encodeContext(clock, [9, 3, 12])[0]).toBe(2);
    expect(() => decodeContext(Buffer.from([4, 1, 2, 5]), now)).toThrow("ends inside a run");
    expect(() => decodeContext(Buffer.from([4, 1, 2, 0x85]), now)).toThrow("ends inside a run");
    expect(() => decodeContext(Buffer.from([4, 1, 2, 0, 0xff, 0xff, 0xff, 0x7f]), now)).toThrow("more refs than a decision considers");

    const scores = [0.123456789, -3, 1e-9, 1234.5];
    expect(unpackScores(packScores(scores))).toEqual(scores.map(Math.fround));
    expect(unpackScores("[0.5,1]")).toEqual([0.5, 1]);
  });

  test("a candidate is logged once per version of its makings, also across restarts; again after half the retention period", async () => {
    const database = migratedDatabase();
    const person = signIn(database);
    const now = Date.UTC(2026, 11, 5, 9);
    const list = [task("t1", 4, now + HOUR_MS, now - DAY_MS), advice("a1", "rest"), task("t2", 1, null, null)];
    const rowsOf = () => database.db.select().from(decisionCandidates).all();

    const first = new DecisionCandidates(database.sqlite, 30);
    const logged = first.refsOf(person.userId, list, now);
    expect(logged.refs).toEqual([0, 1, 2]);
    first.write(logged.rows);
    expect(rowsOf().map((row) => row.candidateKey)).toEqual(["t1", "a1", "t2"]);
    // The very same list again, or a new list of the same candidates: nothing new to write.
    expect(first.refsOf(person.userId, list, now + 1)).toEqual({ refs: [0, 1, 2], rows: [] });
    expect(first.refsOf(person.userId, [list[2]!, list[0]!], now + 2)).toEqual({ refs: [2, 0], rows: [] });
    // A task whose due date moved is a new version of it.
    const moved = first.refsOf(person.userId, [task("t1", 4, now + 2 * HOUR_MS, now - DAY_MS), list[1]!], now + 3);
    expect(moved.refs).toEqual([3, 1]);
    expect(moved.rows.map((row) => [row.ref, row.key])).toEqual([[3, "t1"]]);
    first.write(moved.rows);

    // Another process on the same file: it reads what is logged, and hands out refs after it.
    const second = new DecisionCandidates(database.sqlite, 30);
    const copies = [task("t1", 4, now + HOUR_MS, now - DAY_MS), advice("a1", "rest"), task("t3", 2, null, null)];
    const after = second.refsOf(person.userId, copies, now + 4);
    expect(after.refs).toEqual([0, 1, 4]);
    expect(after.rows.map((row) => row.key)).toEqual(["t3"]);
    second.write(after.rows);
    expect(second.makingsOf(person.userId, after.refs, "t3")).toEqual({ kind: "todo", source: "todoist", category: null, priority: 2, dueAt: null, addedAt: null });
    expect(second.makingsOf(person.userId, [0, 1], "t3")).toBeNull();

    // Half the retention period on, a candidate still in use is logged again, so the old row can go with the decisions that used it.
    const later = now + 15 * DAY_MS + 10;
    const renewed = second.refsOf(person.userId, copies, later);
    expect(renewed.refs).toEqual([5, 6, 7]);
    second.write(renewed.rows);
    // Another person's rows are their own: purged by their own age.
    const other = signIn(database);
    second.write(second.refsOf(other.userId, [task("t9", 1, null, null)], now + 20 * DAY_MS).rows);
    expect(await second.purgeBefore(now - 1)).toBe(0);
    expect(await second.purgeBefore(now + 10)).toBe(5);
    const left = database.db.select().from(decisionCandidates).all().map((row) => [row.userId === other.userId, row.ref]);
    expect(left.sort((a, b) => Number(a[0]) - Number(b[0]) || Number(a[1]) - Number(b[1]))).toEqual([
      [false, 5],
      [false, 6],
      [false, 7],
      [true, 0],
    ]);
  });

  test("decisions logged before candidates were kept by ref still read, and still teach the bandit", async () => {
    const context = app();
    const person = signIn(context.database);
    const { decisionLog, feedback, bandits, idle } = context.modules.recommender;
    const servedAt = Date.now() - HOUR_MS;
    const clock = clockAt(servedAt, "UTC");
    // Format 1: the clock, then an advice (4 bytes) and a task with its due date and age inline (12 bytes).
    const context1 = Buffer.alloc(3 + 4 + 12);
    context1.set([1, clock.hour, clock.weekday, 0b011, 1 + 8, 2, 0, 0b000, 0, 4, 0b11]);
    context1.writeInt32LE(-90, 11);
    context1.writeUInt32LE(3 * DAY_MS, 15);
    const inputs = decodeContext(context1, servedAt);
    expect("inline" in inputs && inputs.inline).toEqual([
      { kind: "advice", source: "advice", category: "rest", priority: 2, dueAt: null, addedAt: null },
      { kind: "todo", source: "todoist", category: null, priority: 4, dueAt: servedAt - 90_000, addedAt: servedAt - 3 * DAY_MS },
    ]);
    const vectors = featuresOfAll("inline" in inputs ? inputs.inline : [], clock, "f2");
    const versions = new PolicyVersions(context.database.sqlite);
    const [linucb, heuristic] = [versions.idOf({ name: "linucb", version: "linucb@2" }), versions.idOf({ name: "heuristic", version: "heuristic@1" })];
    const tipId = Bun.randomUUIDv7();
    context.database.db
      .insert(tipViews)
      .values({
        id: tipId,
        userId: person.userId,
        candidateKey: "task:todoist:9",
        kind: "todo",
        source: "todoist",
        content: "Old",
        why: "Overdue",
        policy: "linucb",
        candidates: ["advice:rest", "task:todoist:9"],
        context: context1,
        servedAt,
        policyVersionId: linucb,
        propensity: 0.95,
        scorerStatus: "ok",
        latencyMs: 1,
        featureVersion: "f2",
        shadows: [[heuristic, "advice:rest"]],
        features: vectors[1]!,
        scores: "[0.25,0.75]" as unknown as Buffer,
      })
      .run();

    expect(decisionLog(0, "f2")).toEqual([
      { tipId, candidates: ["advice:rest", "task:todoist:9"], servedKey: "task:todoist:9", propensity: 0.95, reward: 0, shadows: { heuristic: "advice:rest" }, vectors },
    ]);
    const { scores } = context.database.sqlite.query<{ scores: string }, []>("SELECT scores FROM tip_views").get()!;
    expect(unpackScores(scores)).toEqual([0.25, 0.75]);
    await feedback.give(person.userId, tipId, "done");
    await idle();
    expectSameModel(bandits.get(person.userId, "linucb"), (await context.scorer.update({ policy: "linucb", state: null, x: vectors[1]!, reward: 1 })).state);
  });
});
