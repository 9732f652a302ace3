import { afterEach, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { decisionCandidates, tasks, tipViews } from "../db/schema.ts";
import { clockAt, FEATURE_VERSION, FEATURE_VERSIONS, featuresOfAll } from "../recommender/features.ts";
import { ALL_CLEAR } from "../recommender/recommend.ts";
import { signIn } from "../testing/auth.ts";
import { createTestApp, type TestContext, tempDir } from "../testing/harness.ts";
import { HOUR_MS, DAY_MS, MINUTE_MS } from "../time.ts";
import { opeLine, runOffPolicyEvaluation } from "./ope.ts";

const contexts: TestContext[] = [];
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close();
  for (const cleanup of cleanups.splice(0)) cleanup();
});

describe("oo ope", () => {
  test("the instance's own log, exported with propensities, rewards and the shadow's picks, is evaluated by ml/ope.py", async () => {
    const context = createTestApp();
    contexts.push(context);
    const { recommender, feedback, settings, decisionLog } = context.modules.recommender;
    // Random serves (propensity 1/K), the heuristic shadows: both are in every decision's log.
    settings.update({ servingPolicy: "random", shadowPolicies: ["heuristic"] });
    const person = signIn(context.database);
    const user = { id: person.userId, timezone: "UTC" };
    // Advice reacted to rests for a day, so the hours go by; when none is left, the all-clear line
    // shows, which is no decision: it is not in the log.
    const start = Date.now() - 10 * DAY_MS;
    let served = 0;
    let reacted = 0;
    for (let n = 0; served < 120; n++) {
      const now = start + n * HOUR_MS;
      const tip = await recommender.recommend(user, { now });
      if (tip.content === ALL_CLEAR.content) continue;
      served++;
      if (served % 3 === 0) {
        await feedback.give(person.userId, tip.id, served % 2 ? "helpful" : "not_helpful", { now });
        reacted++;
      }
    }
    const decisions = decisionLog(0);
    expect(decisions).toHaveLength(served);
    const lines = decisions.map(opeLine).map((line) => JSON.parse(line!));
    for (const line of lines) {
      expect(line.propensity).toBeCloseTo(1 / line.candidates, 12);
      expect(line.targets.heuristic).toBeGreaterThanOrEqual(0);
      expect(line.groups).toHaveLength(line.candidates);
    }
    expect(lines.filter((line) => line.reward !== 0)).toHaveLength(reacted);

    const dir = tempDir();
    cleanups.push(() => dir.cleanup());
    const file = join(dir.path, "decisions.jsonl");
    await Bun.write(file, `${lines.map((line) => JSON.stringify(line)).join("\n")}\n`);
    const run = Bun.spawnSync(["python3", "ml/ope.py", file, "--bootstrap", "50"]);
    expect(run.exitCode).toBe(0);
    const result = JSON.parse(run.stdout.toString());
    expect(result.decisions).toBe(served);
    expect(Object.keys(result.targets).sort()).toEqual(["heuristic", "random"]);
    // Random served: evaluating random on its own log weighs every decision 1, so IPS is the logged mean.
    expect(result.targets.random.ips).toBeCloseTo(result.logged.mean_reward, 12);
    expect(result.targets.random.effective_sample_size).toBeCloseTo(served, 6);
  });

  test("every candidate's vector, in any feature version, is rebuilt from the log exactly as serving computed it", async () => {
    const context = createTestApp();
    contexts.push(context);
    const { recommender, pool, settings, decisionLog } = context.modules.recommender;
    settings.update({ servingPolicy: "heuristic", shadowPolicies: [] });
    const person = signIn(context.database);
    const zone = "America/New_York";
    const user = { id: person.userId, timezone: zone };
    const start = Date.UTC(2026, 11, 5, 13, 7, 11, 345);
    // Overdue by a second or by days, due in a second or in a day, undated; added a moment or months ago.
    const dues = [start - 1000, start - 3 * DAY_MS + 17, start + 999, start + DAY_MS - 1, start + DAY_MS, null];
    context.database.db
      .insert(tasks)
      .values(
        dues.map((due, index) => ({
          userId: person.userId,
          provider: "todoist",
          externalId: `t${index}`,
          content: `Task ${index}`,
          priority: 1 + (index % 4),
          dueKind: due === null ? null : ("instant" as const),
          dueValue: due === null ? null : new Date(due).toISOString(),
          addedAt: start - [1, MINUTE_MS, 5 * DAY_MS + 123, 29.9 * DAY_MS, 31 * DAY_MS, 200 * DAY_MS][index]!,
          syncedAt: start,
        })),
      )
      .run();
    pool.invalidate(person.userId);
    const served: { now: number; visible: ReturnType<typeof pool.visible> }[] = [];
    const logged = new Set<string>();
    for (const offset of [0, 250, 1_400, 9 * HOUR_MS + 3, 2 * DAY_MS + 5 * HOUR_MS]) {
      const now = start + offset;
      const visible = pool.visible(person.userId, zone, now);
      const tip = await recommender.recommend(user, { now }, visible);
      served.push({ now, visible });
      const view = context.database.db.select().from(tipViews).where(eq(tipViews.id, tip.id)).get()!;
      // The clock and at most two bytes a candidate; each candidate's makings are logged once, the first time it is considered.
      expect(view.context!.length).toBeLessThanOrEqual(3 + visible.length * 2);
      for (const candidate of visible) logged.add(candidate.key);
      expect(context.database.db.select().from(decisionCandidates).all().map((row) => row.candidateKey).sort()).toEqual([...logged].sort());
    }
    for (const version of FEATURE_VERSIONS) {
      const decisions = decisionLog(0, version);
      expect(decisions).toHaveLength(served.length);
      decisions.forEach((decision, index) => {
        const { now, visible } = served[index]!;
        expect(decision.vectors).toEqual(featuresOfAll(visible, clockAt(now, zone), version));
      });
    }
    const rebuilt = decisionLog(0, FEATURE_VERSION);
    rebuilt.forEach((decision, index) => expect(decision.candidates).toEqual(served[index]!.visible.map((candidate) => candidate.key)));
    expect(decisionLog(0)[0]!.vectors).toBeUndefined();
    expect(JSON.parse(opeLine(rebuilt[0]!)!).xs).toEqual(rebuilt[0]!.vectors);

    // An unknown version or argument is refused with one line, before anything runs.
    const dir = tempDir();
    cleanups.push(() => dir.cleanup());
    const config = { ...context.config, dataDir: dir.path };
    for (const bad of [["--features", "f9"], ["--bogus"], ["extra"], ["--days"], ["--days", "0"]]) {
      expect([bad, await runOffPolicyEvaluation(config, decisionLog, bad)]).toEqual([bad, 2]);
    }
    expect(existsSync(join(dir.path, "ml", "decisions.jsonl"))).toBe(false);
  });
});
