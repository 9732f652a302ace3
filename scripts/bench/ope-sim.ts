/**
 * Does off-policy evaluation recover what policies are worth? Over 10 seeds, the simulator logs
 * LinUCB (f2) serving with epsilon spent half on the heuristic's pick and half uniformly, and an f1
 * LinUCB learning alongside as a shadow; ml/ope.py then estimates random, the heuristic and that
 * f1 LinUCB from the log alone, and each estimate's 95 % interval is checked against the true
 * expected reward of the target's picks at the logged decisions (which the simulator knows).
 * Target: each recovered in at least 9 of 10 seeds, the heuristic with an effective sample size of
 * at least 10 % of the log.
 * Usage: bun scripts/bench/ope-sim.ts [--people 200] [--days 30] [--epsilon 0.3] [--seeds 10]
 */
import { join } from "node:path";
import { numberOption, root, table, tempDir } from "./lib.ts";

const people = numberOption("people", 200);
const days = numberOption("days", 30);
const epsilon = numberOption("epsilon", 0.3);
const seeds = numberOption("seeds", 10);
const dir = tempDir("oo-bench-ope-sim-");
type Estimate = { ips: number; snips: number; dr: number; intervals: Record<"ips" | "snips" | "dr", [number, number]>; effective_sample_size: number };
const covered: Record<string, Record<string, number>> = {};
const ess: Record<string, number[]> = {};
try {
  for (let seed = 1; seed <= seeds; seed++) {
    const log = join(dir.path, `log-${seed}.jsonl`);
    const sim = Bun.spawnSync(
      ["python3", join(root, "ml", "sim.py"), "--people", String(people), "--days", String(days), "--seed", String(seed), "--policies", "linucb", "--features", "f2",
        "--alpha", "0.3", "--epsilon", String(epsilon), "--explore", "mix", "--log", log, "--log-shadow", "f1"],
      { stderr: "inherit" },
    );
    if (sim.exitCode !== 0) throw new Error(`ml/sim.py exited with ${sim.exitCode}`);
    const truth = (JSON.parse(sim.stdout.toString().trim().split("\n").at(-1)!) as { log: { true_values: Record<string, number>; decisions: number } }).log;
    const ope = Bun.spawnSync(["python3", join(root, "ml", "ope.py"), log], { stderr: "inherit" });
    if (ope.exitCode !== 0) throw new Error(`ml/ope.py: ${ope.stdout}`);
    const result = JSON.parse(ope.stdout.toString()) as { targets: Record<string, Estimate> };
    for (const [target, value] of Object.entries(truth.true_values)) {
      const estimate = result.targets[target]!;
      covered[target] ??= { ips: 0, snips: 0, dr: 0 };
      for (const name of ["ips", "snips", "dr"] as const) {
        const [low, high] = estimate.intervals[name];
        if (low <= value && value <= high) covered[target]![name]!++;
      }
      (ess[target] ??= []).push(estimate.effective_sample_size / truth.decisions);
    }
  }
  console.log(`\n${seeds} seeds, ${people} people × ${days} days, epsilon ${epsilon} (half on the heuristic's pick, half uniform)\n`);
  table([
    ["target", "IPS covers the truth", "SNIPS", "DR", "effective sample size (share of the log, lowest seed)"],
    ...Object.entries(covered).map(([target, counts]) => [
      target,
      `${counts.ips}/${seeds}`,
      `${counts.snips}/${seeds}`,
      `${counts.dr}/${seeds}`,
      `${(100 * Math.min(...ess[target]!)).toFixed(1)} %`,
    ]),
  ]);
} finally {
  dir.cleanup();
}
