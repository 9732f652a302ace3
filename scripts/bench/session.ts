/**
 * What the session check costs a signed-in request, on dist/oo (build it first: `bun run build`):
 * median latency of an authenticated GET /api/auth/session against GET /health, and against the
 * same route with no cookie (which isolates the check itself: cookie, SHA-256, two
 * primary-key lookups). wrk with one connection, so latency is service time and not queueing; same run, rounds
 * interleaved, median round reported. LOG_LEVEL=warn, as in the foundation benchmark: the
 * request log line is not the session check.
 * Usage: bun scripts/bench/session.ts [--seconds 10]
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SessionStore } from "../../src/auth/service.ts";
import { openDatabase } from "../../src/db/client.ts";
import { users } from "../../src/db/schema.ts";
import { freePort, numberOption, root, stop, table, tempDir, waitFor200, wrk, type WrkResult } from "./lib.ts";

const seconds = numberOption("seconds", 10);
const binary = join(root, "dist", "oo");
if (!existsSync(binary)) throw new Error("dist/oo is missing: run `bun run build` first");

const data = tempDir("oo-bench-session-");
const port = freePort();
const base = `http://127.0.0.1:${port}`;
const server = Bun.spawn([binary], {
  cwd: data.path,
  env: { PATH: process.env.PATH!, PORT: String(port), LOG_LEVEL: "warn" },
  stdout: "ignore",
  stderr: "inherit",
});

try {
  await waitFor200(`${base}/health`);
  // The server has created and migrated the database; a second connection signs someone in, as the real flow would.
  const database = openDatabase(join(data.path, "data", "oo.db"));
  const now = Date.now();
  const userId = crypto.randomUUID();
  database.db.insert(users).values({ id: userId, email: "bench@example.test", name: "Bench", createdAt: now, updatedAt: now }).run();
  const { token } = new SessionStore(database.db).create(userId, "user");
  database.sqlite.close();

  const cookieScript = join(data.path, "cookie.lua");
  writeFileSync(cookieScript, `wrk.headers["Cookie"] = "sid=${token}"\n`);
  const probe = (await (await fetch(`${base}/api/auth/session`, { headers: { cookie: `sid=${token}` } })).json()) as { user?: { id: string } };
  if (probe.user?.id !== userId) throw new Error("the benchmark session is not recognised");

  const oneConnection = { connections: 1, threads: 1 };
  const measure = () => ({
    health: wrk(`${base}/health`, { ...oneConnection, seconds }),
    signedIn: wrk(`${base}/api/auth/session`, { ...oneConnection, seconds, script: cookieScript }),
    signedOut: wrk(`${base}/api/auth/session`, { ...oneConnection, seconds }),
  });
  // A short warm-up lets the JIT settle before anything is recorded.
  wrk(`${base}/api/auth/session`, { ...oneConnection, seconds: 2, script: cookieScript });
  const rounds = [0, 1, 2].map(measure);
  const byCost = rounds.toSorted((a, b) => a.signedIn.p50Ms - a.health.p50Ms - (b.signedIn.p50Ms - b.health.p50Ms));
  const { health, signedIn, signedOut } = byCost[1]!;

  const microseconds = (ms: number) => `${(ms * 1000).toFixed(0)} µs`;
  const row = (name: string, result: WrkResult): [string, string, string] => [
    name,
    `${microseconds(result.p50Ms)} (p99 ${microseconds(result.p99Ms)})`,
    `${result.requestsPerSecond.toFixed(0)} req/s`,
  ];
  console.log(`\nsession benchmark (3 interleaved rounds of ${seconds}s wrk runs, 1 connection; median round)\n`);
  table([
    ["request", "median latency", "throughput"],
    row("GET /health", health),
    row("GET /api/auth/session, no cookie", signedOut),
    row("GET /api/auth/session, signed in", signedIn),
  ]);
  console.log(`\nsigned in vs /health: +${microseconds(signedIn.p50Ms - health.p50Ms)} median (target ≤ 200 µs)`);
  console.log(`signed in vs signed out, the session check itself: +${microseconds(signedIn.p50Ms - signedOut.p50Ms)} median`);
  for (const result of [health, signedIn, signedOut]) {
    if (result.non2xx || result.errors) console.log(`warning: ${result.non2xx} non-2xx, ${result.errors} socket errors`);
  }
} finally {
  await stop(server);
  data.cleanup();
}
