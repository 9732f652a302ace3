import { Writable } from "node:stream";
import webpush from "web-push";
import { type App, createApp } from "../app.ts";
import { type Config, type Env, parseConfig } from "../config.ts";
import { type DatabaseHandle, openDatabase } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import type { EventBus } from "../events/bus.ts";
import type { JobRunner } from "../jobs/runner.ts";
import { createLogger, type Logger } from "../log.ts";
import type { Scorer } from "../ml/scorer.ts";
import { createRuntime, type Modules, type Runtime } from "../runtime.ts";
import { runTempDir, tempDir } from "./temp-dirs.ts";

export { tempDir };

export const TEST_KEY = Buffer.alloc(32, 7).toString("base64");
/** A real key pair (web push checks them), made once per test process. */
const TEST_VAPID = webpush.generateVAPIDKeys();

/**
 * A valid configuration for tests: fixed secrets, nothing external configured, and no scorer
 * (PYTHON points nowhere, so the recommender runs on its heuristic). Tests of the real scorer pass
 * `PYTHON: "python3"` and a temporary `DATA_DIR`.
 */
export function testConfig(env: Env = {}): Config {
  return parseConfig({
    SESSION_SECRET: "test-session-secret",
    ENCRYPTION_KEY: TEST_KEY,
    VAPID_PUBLIC_KEY: TEST_VAPID.publicKey,
    VAPID_PRIVATE_KEY: TEST_VAPID.privateKey,
    DATA_DIR: "/nonexistent-test-data",
    PYTHON: "/nonexistent/python3",
    LOG_LEVEL: "debug",
    ...env,
  });
}

/** A pino logger whose lines are kept, parsed, for assertions. */
export function captureLogger(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n")) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { log: createLogger("debug", stream), lines };
}

export function migratedDatabase(path = ":memory:"): DatabaseHandle {
  const database = openDatabase(path);
  migrate(database.sqlite);
  return database;
}

export interface TestContext {
  runtime: Runtime;
  app: App;
  config: Config;
  database: DatabaseHandle;
  bus: EventBus;
  jobs: JobRunner;
  scorer: Scorer;
  modules: Modules;
  log: Logger;
  lines: Record<string, unknown>[];
  request(path: string, init?: RequestInit): Promise<Response>;
  /** `runtime.stop()`, as the server does at shutdown: background work, the scorer child, the database. */
  close(): Promise<void>;
}

export const BASE = "http://localhost:3001";

/**
 * The whole app on a fresh database (in memory unless a file is given), wired by the same
 * `createRuntime` as the server and driven through `app.handle`. The runtime is started without
 * its timers: tests run jobs by name. `DATA_DIR` is a fresh temporary directory unless given (the
 * scorer writes its script there), removed once the test run ends.
 */
export function createTestApp(env: Env = {}, databasePath = ":memory:"): TestContext {
  if (!env.DATA_DIR) env = { ...env, DATA_DIR: runTempDir("oo-app-") };
  const config = testConfig(env);
  const { log, lines } = captureLogger();
  const runtime = createRuntime(config, log, { databasePath });
  const app = createApp(runtime);
  runtime.start({ timers: false });
  return {
    runtime,
    app,
    config,
    database: runtime.database,
    bus: runtime.bus,
    jobs: runtime.jobs,
    scorer: runtime.scorer,
    modules: runtime.modules,
    log,
    lines,
    request: (path, init) => app.handle(new Request(`${BASE}${path}`, init)),
    close: () => runtime.stop(),
  };
}

/** A port that was free a moment ago, for tests that start real processes. */
export function freePort(): number {
  const server = Bun.serve({ port: 0, fetch: () => new Response() });
  const port = server.port!;
  server.stop(true);
  return port;
}

/** The app on a real port, for callers that only speak HTTP (a browser, the fake's webhook delivery). */
export function serveApp(context: TestContext): { url: string; stop(): void } {
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: (request) => context.app.handle(request) });
  return { url: `http://127.0.0.1:${server.port}`, stop: () => void server.stop(true) };
}
