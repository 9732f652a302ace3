/**
 * Foundation figures for dist/oo (build it first: `bun run build`):
 *  - cold start on an existing database to the first 200 on /health (median of 10), and the same
 *    for a bare `bun build --compile --bytecode` server started the same way, alternating
 *  - `oo --version` against that bare executable's (median of 15, alternating)
 *  - idle RSS after boot
 *  - GET /health throughput vs a bare Bun.serve hello-world, wrk, 64 connections, same run
 * Usage: bun scripts/bench/foundation.ts [--seconds 10]
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { freePort, median, numberOption, root, rssMb, startBareServer, stop, table, tempDir, waitFor200, wrk } from "./lib.ts";

const seconds = numberOption("seconds", 10);
const binary = join(root, "dist", "oo");
if (!existsSync(binary)) throw new Error("dist/oo is missing: run `bun run build` first");

const data = tempDir("oo-bench-");
const startOo = (port: number) =>
  Bun.spawn([binary], { cwd: data.path, env: { PATH: process.env.PATH!, PORT: String(port), LOG_LEVEL: "warn" }, stdout: "ignore", stderr: "inherit" });

try {
  // First boot creates and migrates the database; the measured boots find it in place.
  const firstPort = freePort();
  const first = startOo(firstPort);
  await waitFor200(`http://127.0.0.1:${firstPort}/health`);
  await stop(first);

  // The bare server, compiled like oo: it answers /health, or prints a version.
  const bareSource = join(data.path, "bare.ts");
  const bareBinary = join(data.path, "bare");
  await Bun.write(
    bareSource,
    `if (process.argv[2] === "--version") console.log("0.0.0"); else Bun.serve({ port: Number(process.env.PORT), hostname: "127.0.0.1", fetch: () => new Response("ok") });`,
  );
  const compiled = Bun.spawnSync([process.execPath, "build", "--compile", "--bytecode", bareSource, "--outfile", bareBinary], { stdout: "ignore", stderr: "inherit" });
  if (compiled.exitCode !== 0) throw new Error("could not compile the bare server");
  const startBare = (port: number) => Bun.spawn([bareBinary], { env: { PORT: String(port) }, stdout: "ignore", stderr: "inherit" });

  const coldStarts: number[] = [];
  const bareStarts: number[] = [];
  for (let run = 0; run < 10; run++) {
    for (const [start, into] of [
      [startOo, coldStarts],
      [startBare, bareStarts],
    ] as const) {
      const port = freePort();
      const started = performance.now();
      const child = start(port);
      await waitFor200(`http://127.0.0.1:${port}/health`, 15_000, 1);
      into.push(performance.now() - started);
      await stop(child);
    }
  }
  const versions: number[] = [];
  const bareVersions: number[] = [];
  for (let run = 0; run < 15; run++) {
    for (const [command, into] of [
      [[binary, "--version"], versions],
      [[bareBinary, "--version"], bareVersions],
    ] as const) {
      const started = performance.now();
      Bun.spawnSync([...command], { stdout: "ignore" });
      into.push(performance.now() - started);
    }
  }

  const port = freePort();
  const server = startOo(port);
  await waitFor200(`http://127.0.0.1:${port}/health`);
  await Bun.sleep(2000);
  const idleRss = rssMb(server.pid);
  const bare = await startBareServer();
  // Interleaved rounds, so a noisy neighbour hurts both sides alike; the median round is reported.
  const rounds = [0, 1, 2].map(() => {
    const oo = wrk(`http://127.0.0.1:${port}/health`, { seconds });
    const baseline = wrk(bare.url, { seconds });
    return { oo, baseline, ratio: oo.requestsPerSecond / baseline.requestsPerSecond };
  });
  await stop(server);
  await stop(bare.child);
  const { oo, baseline, ratio } = rounds.toSorted((a, b) => a.ratio - b.ratio)[1]!;

  console.log(`\nfoundation benchmark (3 interleaved rounds of ${seconds}s wrk runs, 64 connections; median round)\n`);
  table([
    ["figure", "measured", "target"],
    ["cold start to first /health 200 (median of 10)", `${median(coldStarts).toFixed(0)} ms`, "≤ 200 ms"],
    ["… a bare compiled server started the same way", `${median(bareStarts).toFixed(0)} ms (oo +${(median(coldStarts) - median(bareStarts)).toFixed(0)} ms)`, "oo ≤ +100 ms"],
    ["oo --version (median of 15)", `${median(versions).toFixed(0)} ms`, ""],
    ["… a bare compiled executable's", `${median(bareVersions).toFixed(0)} ms (oo +${(median(versions) - median(bareVersions)).toFixed(0)} ms)`, "oo ≤ +30 ms"],
    ["idle RSS after boot", `${idleRss.toFixed(1)} MB`, "≤ 80 MB"],
    ["GET /health throughput", `${oo.requestsPerSecond.toFixed(0)} req/s (p99 ${oo.p99Ms.toFixed(2)} ms)`, ""],
    ["bare Bun.serve hello-world", `${baseline.requestsPerSecond.toFixed(0)} req/s (p99 ${baseline.p99Ms.toFixed(2)} ms)`, ""],
    ["/health vs bare Bun.serve", `${(ratio * 100).toFixed(0)} %`, "≥ 80 %"],
  ]);
  if (oo.non2xx || oo.errors) console.log(`warning: ${oo.non2xx} non-2xx, ${oo.errors} socket errors`);
} finally {
  data.cleanup();
}
