import { createApp } from "./app.ts";
import { findOwner, issueSetupLink } from "./auth/service.ts";
import { commands, helpText, parseArgs, VERSION } from "./cli.ts";
import { type Config, ConfigError, parseConfig, resolveSecrets } from "./config.ts";
import { startCheckpointer } from "./db/checkpointer.ts";
import { openDatabase } from "./db/client.ts";
import { MigrationError, migrate } from "./db/migrate.ts";
import { EventBus } from "./events/bus.ts";
import { JobRunner } from "./jobs/runner.ts";
import { rotateKeys } from "./integrations/rotate.ts";
import { TokenVault } from "./integrations/vault.ts";
import { closeLogger, createLogger, type Logger, stdout } from "./log.ts";
import { createScorer } from "./recommender/scorer.ts";
import { AccountDeletionHooks } from "./user/service.ts";

const SHUTDOWN_GRACE_MS = 10_000;

function fail(message: string, code: number): never {
  process.stderr.write(`oo: ${message}\n`);
  process.exit(code);
}

function loadConfig(): Config {
  try {
    return resolveSecrets(parseConfig(process.env));
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message, 2);
    throw error;
  }
}

/** Opens the database and applies pending migrations; a failed migration stops the process (exit 1). */
function openMigratedDatabase(config: Config, log: Logger) {
  const database = openDatabase(config.databasePath);
  try {
    const applied = migrate(database.sqlite);
    if (applied.length > 0) log.info({ migrations: applied }, "database migrated");
    return { database, applied };
  } catch (error) {
    database.sqlite.close();
    if (error instanceof MigrationError) {
      log.fatal({ migration: error.tag }, error.message);
      log.flush();
      fail(error.message, 1);
    }
    throw error;
  }
}

/**
 * How often the background thread folds the WAL into the database file while serving. Between two
 * rounds the WAL holds what was written meanwhile (tens of MB a second at full load), and every
 * page read searches it, so rounds are frequent. Small rounds also keep the serving thread's
 * stalls short: a round starts by syncing the WAL, and a commit that appends to the WAL's last
 * block while that block is being written out waits for the disk. At 3,000 recommendations a
 * second, rounds every 50 ms instead of 250 ms took the p99 from ~28 to ~17 ms (median of eight
 * alternating runs); every 25 ms was worse again. A round with nothing to copy costs microseconds.
 */
const CHECKPOINT_INTERVAL_MS = 50;

async function serve(config: Config, log: Logger) {
  const { database } = openMigratedDatabase(config, log);
  // Checkpoints run on their own thread while serving, never on a request's commit.
  database.sqlite.run("PRAGMA wal_autocheckpoint = 0");
  const checkpointer = startCheckpointer(config.databasePath, {
    intervalMs: CHECKPOINT_INTERVAL_MS,
    commits: database.commits,
    onError: (reason) => log.warn({ reason }, "background WAL checkpoint failed"),
  });
  const bus = new EventBus(database.sqlite, log);
  const jobs = new JobRunner(log);
  const scorer = createScorer({ config, log });
  const accountDeletion = new AccountDeletionHooks();
  const app = createApp({ config, database, log, bus, jobs, scorer, accountDeletion });
  app.listen({ port: config.port, hostname: config.host });
  jobs.start();
  log.info({ url: `http://${config.host}:${config.port}`, version: VERSION, database: config.databasePath }, "oO is listening");
  // With no admin nobody can run this instance; whoever reads the server's log gets a one-time way in.
  if (!findOwner(database.db)) {
    log.info({ url: issueSetupLink(database.db, config.apiBaseUrl) }, "no owner yet: open this link within 1 h to create the owner account");
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
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
    await jobs.stop();
    await app.decorator.modules.integrations.close();
    await app.decorator.modules.recommender.queue.idle();
    await scorer.close();
    await checkpointer.stop();
    database.close();
    log.info("stopped");
    await closeLogger(log);
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.kind === "help") return void process.stdout.write(helpText());
  if (args.kind === "version") return void process.stdout.write(`${VERSION}\n`);
  if (args.kind === "unknown") fail(`unknown command "${args.word}"; commands: ${Object.keys(commands).join(", ")} (see oo --help)`, 2);

  const config = loadConfig();
  const log = createLogger(config.logLevel, stdout({ batched: args.command === "serve" }));
  switch (args.command) {
    case "serve":
      return serve(config, log);
    case "migrate": {
      const { database, applied } = openMigratedDatabase(config, log);
      database.close();
      process.stdout.write(applied.length > 0 ? `applied ${applied.join(", ")}\n` : "database is up to date\n");
      return;
    }
    case "admin-link": {
      const { database } = openMigratedDatabase(config, log);
      const link = issueSetupLink(database.db, config.apiBaseUrl);
      database.close();
      process.stdout.write(`${link}\n`);
      return;
    }
    case "rotate-keys": {
      const { database } = openMigratedDatabase(config, log);
      const vault = new TokenVault(config);
      const report = rotateKeys(database.db, vault);
      database.close();
      process.stdout.write(`re-encrypted ${report.rotated} token(s) under key ${vault.currentKeyId}; ${report.current} already under it\n`);
      if (report.failed > 0) fail(`${report.failed} token(s) did not open with any configured key; add their key to ENCRYPTION_KEYS_OLD and run again`, 1);
      return;
    }
  }
}

await main();
