/**
 * Off-policy evaluation at size (ml/ope.py): a log of 1,000,000 decisions from a world with known
 * values (the one ml/tests/test_ope.py uses), evaluated with IPS, SNIPS and DR and 200 bootstrap
 * rounds, timed against the 60 s budget; prints the estimates beside the true values.
 * Usage: bun scripts/bench/ope.ts [--decisions 1000000]
 */
import { join } from "node:path";
import { numberOption, root, table, tempDir } from "./lib.ts";

const decisions = numberOption("decisions", 1_000_000);
const dir = tempDir("oo-bench-ope-");
try {
  const log = join(dir.path, "decisions.jsonl");
  const made = Bun.spawnSync(
    ["python3", "-c", `from ml.tests.test_ope import logged\nopen(${JSON.stringify(log)}, "w").write("\\n".join(logged(${decisions}, 0.5, seed=1)) + "\\n")`],
    { cwd: root, stderr: "inherit" },
  );
  if (made.exitCode !== 0) throw new Error("could not write the log");
  const started = performance.now();
  const run = Bun.spawnSync(["python3", join(root, "ml", "ope.py"), log], { stderr: "inherit" });
  const seconds = (performance.now() - started) / 1000;
  if (run.exitCode !== 0) throw new Error(`ml/ope.py exited with ${run.exitCode}: ${run.stdout}`);
  const result = JSON.parse(run.stdout.toString()) as { targets: Record<string, { ips: number; snips: number; dr: number; effective_sample_size: number }> };
  const truth: Record<string, number> = { random: 0.14, "always-b": 0.5 };
  console.log(`\n${decisions.toLocaleString("en")} decisions: ${seconds.toFixed(1)} s (target ≤ 60 s) ${seconds <= 60 ? "PASS" : "MISS"}\n`);
  table([
    ["target", "true value", "IPS", "SNIPS", "DR", "effective sample size"],
    ...Object.entries(result.targets).map(([name, t]) => [
      name,
      String(truth[name] ?? "?"),
      t.ips.toFixed(4),
      t.snips.toFixed(4),
      t.dr.toFixed(4),
      `${Math.round(t.effective_sample_size).toLocaleString("en")} (${((100 * t.effective_sample_size) / decisions).toFixed(0)} %)`,
    ]),
  ]);
} finally {
  dir.cleanup();
}
