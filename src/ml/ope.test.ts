import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { signIn } from "../testing/auth.ts";
import { createTestApp, type TestContext, tempDir } from "../testing/harness.ts";
import { opeLine } from "./ope.ts";

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
    for (let n = 0; n < 120; n++) {
      const tip = await recommender.recommend(user);
      if (n % 3 === 0) await feedback.give(person.userId, tip.id, n % 2 ? "helpful" : "not_helpful");
    }
    const decisions = decisionLog(0);
    expect(decisions).toHaveLength(120);
    const lines = decisions.map(opeLine).map((line) => JSON.parse(line!));
    for (const line of lines) {
      expect(line.propensity).toBeCloseTo(1 / line.candidates, 12);
      expect(line.targets.heuristic).toBeGreaterThanOrEqual(0);
      expect(line.groups).toHaveLength(line.candidates);
    }
    expect(lines.filter((line) => line.reward !== 0)).toHaveLength(40);

    const dir = tempDir();
    cleanups.push(() => dir.cleanup());
    const file = join(dir.path, "decisions.jsonl");
    await Bun.write(file, `${lines.map((line) => JSON.stringify(line)).join("\n")}\n`);
    const run = Bun.spawnSync(["python3", "ml/ope.py", file, "--bootstrap", "50"]);
    expect(run.exitCode).toBe(0);
    const result = JSON.parse(run.stdout.toString());
    expect(result.decisions).toBe(120);
    expect(Object.keys(result.targets).sort()).toEqual(["heuristic", "random"]);
    // Random served: evaluating random on its own log weighs every decision 1, so IPS is the logged mean.
    expect(result.targets.random.ips).toBeCloseTo(result.logged.mean_reward, 12);
    expect(result.targets.random.effective_sample_size).toBeCloseTo(120, 6);
  });
});
