/**
 * The simulator's scenario at full size (ml/sim.py): 1,000 people × 30 days under random, the
 * heuristic and LinUCB with each feature version, timed against the 60 s budget, with the results
 * per segment of people: mean expected reward per decision (95 % interval over people) and the
 * share of the random-to-oracle gap each policy closes, over all 30 days and over the last ten.
 * With --ceiling, also, for each version and outside the timed run, `full-info` (a fit on the true
 * value of every candidate at every visit, the most a policy of that version could close) and
 * `expected-feedback` (LinUCB learning from each pick's expected reward instead of one reaction:
 * what the noise of single reactions costs).
 * Usage: bun scripts/bench/sim.ts [--people 1000] [--days 30] [--seed 7] [--features f1,f2] [--ceiling]
 */
import { join } from "node:path";
import { numberOption, root, stringOption, table } from "./lib.ts";

const people = numberOption("people", 1000);
const days = numberOption("days", 30);
const seed = numberOption("seed", 7);
const versions = stringOption("features", "f1,f2");

interface Result {
  reward: { mean: number; low: number; high: number };
  gap_closed: number | null;
  gap_closed_last_third: number | null;
}
type Summary = { policies: Record<string, Result & { segments: Record<string, Result | null> }>; segments: Record<string, { expressible: boolean }>; seconds: number };

const simulate = (policies: string): Summary => {
  const run = Bun.spawnSync(
    ["python3", join(root, "ml", "sim.py"), "--people", String(people), "--days", String(days), "--seed", String(seed), "--policies", policies, "--features", versions],
    { stdout: "pipe", stderr: "inherit" },
  );
  if (run.exitCode !== 0) throw new Error(`ml/sim.py exited with ${run.exitCode}`);
  return JSON.parse(run.stdout.toString().trim().split("\n").at(-1)!) as Summary;
};
const started = performance.now();
const summary = simulate("linucb,heuristic,random");
const seconds = (performance.now() - started) / 1000;
if (process.argv.includes("--ceiling")) Object.assign(summary.policies, simulate("full-info,expected-feedback").policies);

const percent = (value: number | null) => (value === null ? "–" : `${(100 * value).toFixed(0)} %`);
const reward = (result: Result) => `${result.reward.mean.toFixed(3)} [${result.reward.low.toFixed(3)}, ${result.reward.high.toFixed(3)}]`;
const segments = Object.keys(summary.segments);
console.log(`\n${people} people × ${days} days, seed ${seed}: ${seconds.toFixed(1)} s (target ≤ 60 s) ${seconds <= 60 ? "PASS" : "MISS"}\n`);
table([
  ["policy", "segment", "reward per decision, mean over people [95 %]", "gap closed", "gap closed, last third"],
  ...Object.entries(summary.policies).flatMap(([policy, result]) => [
    [policy, "all", reward(result), percent(result.gap_closed), percent(result.gap_closed_last_third)],
    ...segments.map((segment) => {
      const part = result.segments[segment];
      const label = `${segment}${summary.segments[segment]!.expressible ? "" : " (not expressible)"}`;
      return part ? [policy, label, reward(part), percent(part.gap_closed), percent(part.gap_closed_last_third)] : [policy, label, "–", "–", "–"];
    }),
  ]),
]);
