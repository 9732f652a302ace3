/**
 * The tip under load, on dist/oo (build it first: `bun run build`):
 *  - POST /api/recommend with 1,000 users × 50 candidates each (open tasks filling up what the
 *    advice fitting the person's hour leaves), decision logging on,
 *    (a) LinUCB through the spawned python3 scorer (heuristic shadow), (b) heuristic only, no scorer,
 *    and a bare Bun.serve hello-world just before and just after the LinUCB run (the ratio is taken
 *    against their mean: the host's speed drifts); wrk, 64 connections (a closed loop, so
 *    the LinUCB run is flat out and its p99 is the latency at saturation)
 *  - (a) again at a fixed offered rate (default 3,000 req/s, the throughput target in the README),
 *    open loop with at most 64 in flight (`open-loop.ts`): the latency at that load
 *  - the tip page's server time (GET /, one connection, median)
 * Usage: bun scripts/bench/recommend.ts [--seconds 15] [--users 1000] [--candidates 50] [--rate 3000] [--models]
 *        (or --tasks N: N open tasks each on top of the fitting advice)
 */
import { Database } from "bun:sqlite";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { hashToken, newToken } from "../../src/auth/service.ts";
import { timeOfDayAt } from "../../src/recommender/candidates/index.ts";
import { decodeContext } from "../../src/recommender/context.ts";
import { zonedParts } from "../../src/time.ts";
import { childPids, cpuSeconds, freePort, numberOption, openLoop, root, startBareServer, stop, table, tempDir, waitFor200, wrk } from "./lib.ts";

const seconds = numberOption("seconds", 15);
const userCount = numberOption("users", 1000);
const candidatesPerUser = numberOption("candidates", 50);
const fixedTasks = numberOption("tasks", Number.NaN);
const offeredRate = numberOption("rate", 3000);
/** With --models, every person has a learnt model (an f1 one, which a build serving f2 carries over during the warm-up). */
const withModels = process.argv.includes("--models");
const binary = join(root, "dist", "oo");
if (!existsSync(binary)) throw new Error("dist/oo is missing: run `bun run build` first");

const data = tempDir("oo-bench-recommend-");
const baseEnv = { PATH: process.env.PATH!, DATA_DIR: data.path, LOG_LEVEL: "info" };

function migrate() {
  const run = Bun.spawnSync([binary, "migrate"], { env: baseEnv, stdout: "ignore", stderr: "inherit" });
  if (run.exitCode !== 0) throw new Error("migration failed");
}

/** 1,000 people with sessions and their open tasks, a spread of priorities, ages and due dates. */
function seed(): string[] {
  const db = new Database(join(data.path, "oo.db"));
  db.run("PRAGMA journal_mode = WAL");
  const now = Date.now();
  const day = 86_400_000;
  const insertUser = db.prepare(
    "INSERT INTO users (id, email, name, role, timezone, timezone_confirmed, created_at, updated_at) VALUES (?, ?, 'Bench', 'user', ?, 1, ?, ?)",
  );
  const insertSession = db.prepare(
    "INSERT INTO sessions (token_hash, user_id, kind, created_at, expires_at, last_seen_at) VALUES (?, ?, 'user', ?, ?, ?)",
  );
  const insertTask = db.prepare(
    `INSERT INTO tasks (user_id, provider, external_id, content, description, priority, due_kind, due_value, labels, added_at, updated_at, synced_at)
     VALUES (?, 'todoist', ?, ?, '', ?, ?, ?, '[]', ?, ?, ?)`,
  );
  const zones = ["Europe/Paris", "America/New_York", "Asia/Tokyo", "UTC"];
  const library = db.query<{ time_of_day: string; day_kind: string }, []>("SELECT time_of_day, day_kind FROM advice WHERE active = 1").all();
  /** How many advices compete for a person in `zone` now: the rest of their candidates are tasks. */
  const fittingAdvice = (zone: string) => {
    const local = zonedParts(now, zone);
    const bucket = timeOfDayAt(local.hour);
    const dayKind = local.weekday >= 5 ? "weekend" : "weekday";
    return library.filter((row) => (row.time_of_day === "any" || row.time_of_day === bucket) && (row.day_kind === "any" || row.day_kind === dayKind)).length;
  };
  const insertModel = db.prepare(
    "INSERT INTO bandit_states (user_id, policy, state, pulls, reward_sum, version, updated_at) VALUES (?, 'linucb', ?, ?, ?, 1, ?)",
  );
  const model = learntModel(5, 40);
  const cookies: string[] = [];
  db.transaction(() => {
    for (let u = 0; u < userCount; u++) {
      const id = crypto.randomUUID();
      const zone = zones[u % zones.length]!;
      insertUser.run(id, `bench${u}@example.test`, zone, now, now);
      const tasksPerUser = Number.isNaN(fixedTasks) ? Math.max(0, candidatesPerUser - fittingAdvice(zone)) : fixedTasks;
      const token = newToken();
      insertSession.run(hashToken(token), id, now, now + 30 * day, now);
      if (withModels) insertModel.run(id, JSON.stringify(model), model.pulls, model.reward_sum, now);
      cookies.push(`sid=${token}`);
      for (let t = 0; t < tasksPerUser; t++) {
        const dueDays = (t % 7) - 3;
        const due = t % 3 === 0 ? null : new Date(now + dueDays * day).toISOString().slice(0, 10);
        insertTask.run(id, `task-${u}-${t}`, `Task ${t} of person ${u}`, (t % 4) + 1, due ? "date" : null, due, now - (t % 30) * day, now - day, now);
      }
    }
  })();
  db.close();
  return cookies;
}

/** A LinUCB model after `pulls` rewards on vectors in [0, 1]^d (Sherman-Morrison, as the scorer computes it). */
function learntModel(d: number, pulls: number) {
  const A_inv: number[][] = Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? 1 : 0)));
  const b: number[] = Array.from({ length: d }, () => 0);
  let reward_sum = 0;
  for (let n = 0; n < pulls; n++) {
    const x = Array.from({ length: d }, (_, i) => ((n * 7 + i * 3) % 10) / 10);
    const reward = [1, -0.5, 0.5, 0][n % 4]!;
    const ax = A_inv.map((row) => row.reduce((sum, value, j) => sum + value * x[j]!, 0));
    const denominator = 1 + x.reduce((sum, value, i) => sum + value * ax[i]!, 0);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) A_inv[i]![j]! -= (ax[i]! * ax[j]!) / denominator;
    x.forEach((value, i) => (b[i]! += reward * value));
    reward_sum += reward;
  }
  return { d, A_inv, b, pulls, reward_sum };
}

function setPolicy(serving: string, shadows: string[]) {
  const db = new Database(join(data.path, "oo.db"));
  const now = Date.now();
  const set = db.prepare("INSERT INTO meta (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  set.run("recommender.servingPolicy", JSON.stringify(serving), now);
  set.run("recommender.shadowPolicies", JSON.stringify(shadows), now);
  db.close();
}

async function startOo(env: Record<string, string>) {
  const port = freePort();
  const child = Bun.spawn([binary], { env: { ...baseEnv, ...env, PORT: String(port) }, stdout: "ignore", stderr: "inherit" });
  const url = `http://127.0.0.1:${port}`;
  await waitFor200(`${url}/health`);
  return { url, child };
}

/** A wrk script that spreads requests over every person's session. */
async function wrkScript(cookies: string[], method: string, path: string): Promise<string> {
  const file = join(data.path, `${method.toLowerCase()}.lua`);
  const list = cookies.map((cookie) => `"${cookie}"`).join(",\n");
  await Bun.write(
    file,
    `local cookies = {\n${list}\n}\nlocal n = math.random(#cookies)\nrequest = function()\n  n = n % #cookies + 1\n  return wrk.format("${method}", "${path}", { ["Cookie"] = cookies[n], ["Content-Length"] = "0" }, "")\nend\n`,
  );
  return file;
}

function decisionsLogged(): number {
  const db = new Database(join(data.path, "oo.db"), { readonly: true });
  const row = db.query<{ n: number }, []>("SELECT count(*) AS n FROM tip_views").get()!;
  db.close();
  return row.n;
}

try {
  migrate();
  const cookies = seed();
  const recommendScript = await wrkScript(cookies, "POST", "/api/recommend");
  const pageScript = await wrkScript(cookies, "GET", "/");

  // The bare server right before and right after the LinUCB run: this host's speed drifts, so the
  // ratio is taken against the two around it.
  const bareRun = async () => {
    const bare = await startBareServer();
    const result = wrk(bare.url, { seconds });
    await stop(bare.child);
    return result;
  };
  const bareBefore = await bareRun();
  setPolicy("linucb", ["heuristic"]);
  const linucbServer = await startOo({ PYTHON: "python3" });
  // Warm up: the scorer child, every person's candidate cache, the JIT.
  wrk(`${linucbServer.url}/api/recommend`, { seconds: 5, script: recommendScript });
  const before = decisionsLogged();
  const scorerPid = childPids(linucbServer.child.pid)[0]!;
  const cpuBefore = { oo: cpuSeconds(linucbServer.child.pid), scorer: cpuSeconds(scorerPid) };
  const linucb = wrk(`${linucbServer.url}/api/recommend`, { seconds, script: recommendScript });
  const cpu = { oo: cpuSeconds(linucbServer.child.pid) - cpuBefore.oo, scorer: cpuSeconds(scorerPid) - cpuBefore.scorer };
  const logged = decisionsLogged() - before;
  // oo idles meanwhile, warm for the runs below.
  const bareAfter = await bareRun();
  const cookieFile = join(data.path, "cookies.txt");
  await Bun.write(cookieFile, cookies.join("\n"));
  const paced = await openLoop(`${linucbServer.url}/api/recommend`, { rate: offeredRate, seconds, cookieFile });
  const page = wrk(`${linucbServer.url}/`, { seconds: 5, connections: 1, threads: 1, script: pageScript });
  await stop(linucbServer.child);

  const statusDb = new Database(join(data.path, "oo.db"), { readonly: true });
  const statuses = statusDb
    .query<{ scorer_status: string; policy: string; n: number }, []>(
      "SELECT scorer_status, policy, count(*) AS n FROM tip_views GROUP BY 1, 2 ORDER BY n DESC",
    )
    .all();
  // How many candidates the logged decisions considered (the last thousand, from their contexts).
  const counts = statusDb
    .query<{ context: Uint8Array; served_at: number }, []>("SELECT context, served_at FROM tip_views ORDER BY served_at DESC LIMIT 1000")
    .all()
    .map((row) => {
      const context = decodeContext(row.context, row.served_at);
      return "refs" in context ? context.refs.length : context.inline.length;
    });
  const candidates = { low: Math.min(...counts), high: Math.max(...counts) };
  statusDb.close();

  setPolicy("heuristic", []);
  const heuristicServer = await startOo({ PYTHON: "/nonexistent/python3" });
  wrk(`${heuristicServer.url}/api/recommend`, { seconds: 3, script: recommendScript });
  const heuristic = wrk(`${heuristicServer.url}/api/recommend`, { seconds, script: recommendScript });
  await stop(heuristicServer.child);


  console.log(`\nrecommend benchmark: ${userCount} users, ${candidates.low === candidates.high ? candidates.low : `${candidates.low}–${candidates.high}`} candidates per decision, wrk ${seconds}s, 64 connections\n`);
  table([
    ["run", "req/s", "p50", "p99", "non-2xx"],
    ...(
      [
        ["POST /api/recommend, LinUCB via python3 scorer", linucb],
        [`… the same at ${offeredRate} req/s offered (open loop, ≤ 64 in flight)`, paced],
        ["POST /api/recommend, heuristic (no scorer)", heuristic],
        ["bare Bun.serve hello-world, just before the LinUCB run", bareBefore],
        ["… just after it", bareAfter],
      ] as const
    ).map(([name, result]) => [
      name,
      result.requestsPerSecond.toFixed(0),
      `${result.p50Ms.toFixed(2)} ms`,
      `${result.p99Ms.toFixed(2)} ms`,
      String(result.non2xx + result.errors),
    ]),
    ["GET / (tip page), 1 connection", page.requestsPerSecond.toFixed(0), `${page.p50Ms.toFixed(2)} ms`, `${page.p99Ms.toFixed(2)} ms`, String(page.non2xx)],
  ]);
  console.log(`\ndecisions logged during the LinUCB run: ${logged} (${(logged / seconds).toFixed(0)}/s)`);
  const perRequest = (cpuSecondsUsed: number) => `${((cpuSecondsUsed / logged) * 1e6).toFixed(0)} µs`;
  console.log(
    `CPU during the LinUCB run: oo ${((cpu.oo / seconds) * 100).toFixed(0)} % of a core (${perRequest(cpu.oo)} per request), ` +
      `scorer ${((cpu.scorer / seconds) * 100).toFixed(0)} % (${perRequest(cpu.scorer)} per request)`,
  );
  const bareMean = (bareBefore.requestsPerSecond + bareAfter.requestsPerSecond) / 2;
  console.log(`LinUCB against the bare server around it: ${((100 * linucb.requestsPerSecond) / bareMean).toFixed(1)} % (target ≥ 15 %)`);
  console.log(`serving decisions by policy and scorer status: ${statuses.map((s) => `${s.policy}/${s.scorer_status} ${s.n}`).join(", ")}`);
} finally {
  data.cleanup();
}
