import { runOffPolicyEvaluation } from "./ml/ope.ts";
import { runSimulator } from "./ml/sim.ts";
import { createApp, MAX_REQUEST_BYTES } from "./app.ts";
import { type Command, fail, print, VERSION } from "./cli.ts";
import { type Config, ConfigError, parseConfig, resolveSecrets } from "./config.ts";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { backupsDir, claimDatabase, DatabaseInUse, RestoreRefused, restore } from "./db/backup.ts";
import { MigrationError } from "./db/migrate.ts";
import { reasonOf } from "./errors.ts";
import { closeLogger, createLogger, type Logger, logDestination } from "./log.ts";
import { createRuntime, type Runtime } from "./runtime.ts";
import { SECOND_MS } from "./time.ts";

const SHUTDOWN_GRACE_MS = 10 * SECOND_MS;
const BACKGROUND_START_DELAY_MS = 250;

/** Commands that work on an instance's existing data: pointed where there is none, they make none. */
const NEEDS_DATA: ReadonlySet<Command> = new Set(["ope", "sim", "backup", "rotate-keys"]);
/** Commands that take no arguments: one given is a mistake worth saying, not ignoring. */
const NO_ARGUMENTS: ReadonlySet<Command> = new Set(["serve", "migrate", "admin-link", "backup", "rotate-keys"]);

function loadConfig(command: Command): Config {
  let config: ReturnType<typeof parseConfig>;
  try {
    config = parseConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message, 2);
    throw error;
  }
  if (NEEDS_DATA.has(command) && !existsSync(config.databasePath)) {
    fail(`no database at ${config.databasePath}: run oo ${command} where oO keeps its data, or set DATA_DIR`, 1);
  }
  try {
    return resolveSecrets(config);
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message, 2);
    throw error;
  }
}

/** The runtime on the migrated database; a failed migration stops the process (exit 1). */
function openRuntime(config: Config, log: Logger): Runtime {
  try {
    return createRuntime(config, log);
  } catch (error) {
    if (error instanceof MigrationError) {
      log.fatal({ migration: error.tag }, error.message);
      log.flush();
      fail(error.message, 1);
    }
    throw error;
  }
}

async function serve(config: Config, log: Logger) {
  // Handled before the database opens: a signal during the boot waits for the boot to finish (nothing
  // in it awaits, but a failed listen's cleanup, which then ends the process itself), then stops it
  // as cleanly as a running server.
  let stopping = false;
  let background: ReturnType<typeof setTimeout> | undefined;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    clearTimeout(background);
    log.info({ signal }, "shutting down");
    const server = app.server;
    if (server) {
      const drained = server.stop(false);
      const forced = Bun.sleep(SHUTDOWN_GRACE_MS).then(() => "timeout" as const);
      if ((await Promise.race([drained, forced])) === "timeout") {
        log.warn("requests still in flight after 10 s; closing them");
        await server.stop(true);
      }
      // Elysia writes each request's log line from a setImmediate after the response; let the last ones run.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await runtime.stop();
    release();
    log.info("stopped");
    await closeLogger(log);
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));

  // One server per database, before it is opened: `oo restore` refuses while this mark says a server
  // holds it, and a second server refuses to start.
  let release: () => void = () => undefined;
  try {
    if (config.databasePath !== ":memory:") release = claimDatabase(config.databasePath);
  } catch (error) {
    if (error instanceof DatabaseInUse) fail(error.message, 1);
    throw error;
  }
  const runtime = openRuntime(config, log);
  const app = createApp(runtime);
  // The scorer's child first, so the first recommendations wait for it instead of falling back.
  runtime.scorer.start();
  try {
    // Not Elysia's default `reusePort`: a second server on the port would take half the requests.
    app.listen({ port: config.port, hostname: config.host, maxRequestBodySize: MAX_REQUEST_BYTES, reusePort: false });
  } catch (error) {
    stopping = true;
    await runtime.stop();
    release();
    fail(`cannot listen on ${config.host}:${config.port}: ${reasonOf(error)}`, 1);
  }
  log.info({ url: `http://${config.host}:${config.port}`, version: VERSION, database: config.databasePath }, "oO is listening");
  // The first requests need none of this, and it takes the thread for tens of milliseconds: the
  // checkpointer and the jobs start, and the setup link is issued, once a boot's first requests (a
  // health check, a reload) have been answered.
  background = setTimeout(() => {
    runtime.start();
    // With no admin nobody can run this instance; whoever reads the server's log gets a one-time way in.
    if (!runtime.modules.auth.hasOwner()) {
      log.info({ url: runtime.modules.auth.issueSetupLink() }, "no owner yet: open this link within 1 h to create the owner account");
    }
    // /signin tells people only that sign-in is not open; how to open it is the operator's to read here.
    if (!config.google.clientId) {
      log.info("Google sign-in is off (GOOGLE_CLIENT_ID is empty): /signin is closed to people; the owner signs in with `oo admin-link`");
    }
  }, BACKGROUND_START_DELAY_MS);
}

/** A one-shot command: the same runtime, never started (no scorer, no timers), stopped when done. */
async function once(config: Config, log: Logger, command: (runtime: Runtime) => void | Promise<void>): Promise<void> {
  const runtime = openRuntime(config, log);
  try {
    await command(runtime);
  } finally {
    await runtime.stop();
  }
}

/** A command that reads the instance and runs a Python child: exits with the child's code when it failed. */
async function withChild(config: Config, log: Logger, command: (runtime: Runtime) => Promise<number>): Promise<void> {
  const runtime = openRuntime(config, log);
  let code = 0;
  try {
    code = await command(runtime);
  } finally {
    await runtime.stop();
  }
  if (code !== 0) process.exit(code);
}

/** Runs one command of `oo` (the server by default), after the configuration is read. */
export async function runCommand(command: Command, rest: string[]): Promise<void> {
  // A dependency's deprecation notice (web-push's `url.parse`) is nothing an operator can act on,
  // and would be a line of plain text among the JSON ones, naming a flag `oo` does not take.
  process.noDeprecation = true;
  if (NO_ARGUMENTS.has(command) && rest.length > 0) fail(`${command} takes no arguments (got ${JSON.stringify(rest[0])})`, 2);
  if (command === "restore" && rest.length > 1) fail(`restore takes one backup file (got also ${JSON.stringify(rest[1])})`, 2);
  const config = loadConfig(command);
  const log = createLogger(config.logLevel, logDestination(command === "serve"));
  switch (command) {
    case "serve":
      return serve(config, log);
    case "migrate":
      return once(config, log, ({ migrations }) => print(migrations.length > 0 ? `applied ${migrations.join(", ")}` : "database is up to date"));
    case "admin-link":
      return once(config, log, ({ modules }) => print(modules.auth.issueSetupLink()));
    case "ope":
      return withChild(config, log, ({ modules }) => runOffPolicyEvaluation(config, modules.recommender.decisionLog, rest));
    case "sim":
      return withChild(config, log, ({ modules }) => {
        // This instance's exploration, unless the command line says otherwise (the last flag wins).
        const { alpha, epsilon } = modules.recommender.settings.get();
        return runSimulator(config, modules.recommender.adviceLibrary(), ["--alpha", String(alpha), "--epsilon", String(epsilon), ...rest]);
      });
    case "backup":
      // The console's way: the newest `admin.backupsKept` are kept, and a failure is one line.
      return once(config, log, async ({ modules }) => {
        const backup = await modules.admin.backups.take(null);
        return print(`backed up to ${join(backupsDir(config.dataDir), backup.name)} (${backup.bytes} bytes)`);
      });
    case "restore": {
      const file = rest[0];
      if (!file) fail("restore needs the backup file: oo restore DATA_DIR/backups/oo-<time>.db", 2);
      let restored: ReturnType<typeof restore>;
      try {
        restored = restore(config.databasePath, file);
      } catch (error) {
        if (error instanceof RestoreRefused) fail(`restore refused: ${error.message}`, 1);
        fail(`restore failed: ${reasonOf(error)}`, 1);
      }
      return print(
        `restored ${config.databasePath} from ${file}${restored.kept ? `; the replaced database is kept as ${restored.kept}` : ""}${restored.migrations > 0 ? `; ${restored.migrations} migration(s) run on the next start` : ""}`,
      );
    }
    case "rotate-keys": {
      let failed = 0;
      await once(config, log, ({ modules }) => {
        const report = modules.integrations.rotateKeys();
        failed = report.failed;
        return print(`re-encrypted ${report.rotated} token(s) under key ${modules.integrations.vault.currentKeyId}; ${report.current} already under it`);
      });
      if (failed > 0) fail(`${failed} token(s) did not open with any configured key; add their key to ENCRYPTION_KEYS_OLD and run again`, 1);
      return;
    }
  }
}
