/**
 * Throughput and latency of one scorer child: `score` calls with 50 candidates × d=5 on a trained
 * model, closed loop at concurrency 1 and 64, with numpy and with the pure-Python path (for an
 * interpreter without numpy). Features are full-precision random floats, the costliest to parse,
 * unless `--decimals N` rounds them. Candidates go with ids and the reply carries the detail, unless
 * `--packed 1` sends bare vectors without detail, as the serving path does.
 * Usage: bun scripts/bench/scorer.ts [--seconds 5] [--decimals 4] [--packed 1]
 */
import { parseConfig } from "../../src/config.ts";
import { createLogger, logDestination } from "../../src/log.ts";
import { type BanditState, type ScoreRequest, ScorerUnavailable } from "../../src/ml/protocol.ts";
import { createScorer, type Scorer } from "../../src/ml/scorer.ts";
import { cpuSeconds, median, numberOption, table, tempDir } from "./lib.ts";

const seconds = numberOption("seconds", 5);
const decimalsOption = numberOption("decimals", Number.NaN);
const decimals = Number.isNaN(decimalsOption) ? undefined : decimalsOption;
const packed = numberOption("packed", 0) === 1;
const CANDIDATES = 50;
const D = 5;

const feature = decimals === undefined ? Math.random : () => Number(Math.random().toFixed(decimals));
const features = () => Array.from({ length: D }, feature);
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;

async function trainedState(scorer: Scorer): Promise<BanditState> {
  let state: BanditState | null = null;
  for (let step = 0; step < 30; step++) state = (await scorer.update({ policy: "linucb", state, x: features(), reward: Math.random() < 0.5 ? 1 : 0 })).state;
  return state!;
}

async function run(scorer: Scorer, requests: ScoreRequest[], concurrency: number, pid: number) {
  const latencies: number[] = [];
  const failures = new Map<string, number>();
  const deadline = performance.now() + seconds * 1000;
  let next = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      const request = requests[next++ % requests.length]!;
      const startedAt = performance.now();
      try {
        await scorer.score(request);
        latencies.push(performance.now() - startedAt);
      } catch (error) {
        const reason = error instanceof ScorerUnavailable ? error.reason : "exception";
        failures.set(reason, (failures.get(reason) ?? 0) + 1);
      }
    }
  };
  const startedAt = performance.now();
  const cpuBefore = cpuSeconds(pid);
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - startedAt) / 1000;
  const cpuPerCallUs = ((cpuSeconds(pid) - cpuBefore) * 1e6) / latencies.length;
  const sorted = latencies.toSorted((a, b) => a - b);
  return { callsPerSecond: latencies.length / elapsed, p50: median(sorted), p99: percentile(sorted, 99), cpuPerCallUs, failures };
}

const rows: string[][] = [["path, concurrency", "calls/s", "latency p50 / p99", "scorer CPU per call"]];
const data = tempDir("oo-bench-scorer-");
try {
  for (const pure of [false, true]) {
    // The child inherits this process's environment.
    if (pure) process.env.OO_SCORER_PURE = "1";
    const config = parseConfig({ ...process.env, DATA_DIR: data.path, LOG_LEVEL: "warn" });
    const scorer = createScorer({ config, log: createLogger("warn", logDestination(false)) });
    scorer.start();
    try {
      while (scorer.status().state !== "up") await Bun.sleep(10);
      const state = await trainedState(scorer);
      const requests: ScoreRequest[] = Array.from({ length: 64 }, () =>
        packed
          ? { policy: "linucb", params: { alpha: 1, detail: false }, state, xs: Array.from({ length: CANDIDATES }, features) }
          : {
              policy: "linucb",
              params: { alpha: 1 },
              state,
              candidates: Array.from({ length: CANDIDATES }, (_, index) => ({ id: `task-${index}`, x: features() })),
            },
      );
      const { numpy, pid } = scorer.status();
      const path = numpy ? "numpy" : "pure Python";
      await run(scorer, requests, 64, pid!); // warm-up, discarded
      for (const concurrency of [1, 64]) {
        const result = await run(scorer, requests, concurrency, pid!);
        const failed = [...result.failures].map(([reason, count]) => `${count} ${reason}`).join(", ");
        rows.push([
          `${path}, ${concurrency}`,
          result.callsPerSecond.toFixed(0) + (failed ? ` (failed: ${failed})` : ""),
          `${result.p50.toFixed(2)} / ${result.p99.toFixed(2)} ms`,
          `${result.cpuPerCallUs.toFixed(0)} µs`,
        ]);
      }
    } finally {
      await scorer.close();
    }
  }
} finally {
  data.cleanup();
}
const precision = decimals === undefined ? "full-precision" : `${decimals}-decimal`;
const shape = packed ? "packed, no detail" : "with ids and detail";
console.log(
  `\nscorer benchmark: one child, score with ${CANDIDATES} candidates × d=${D} (${precision} features, ${shape}), ${seconds}s per row, ML_TIMEOUT_MS=${process.env.ML_TIMEOUT_MS ?? 150}\n`,
);
table(rows);
