import { createAdminModule } from "./admin/module.ts";
import { createAuthModule } from "./auth/module.ts";
import type { Config } from "./config.ts";
import { type Checkpointer, startCheckpointer } from "./db/checkpointer.ts";
import { type DatabaseHandle, openDatabase } from "./db/client.ts";
import { migrate } from "./db/migrate.ts";
import { SettingsStore } from "./db/settings.ts";
import { EventBus } from "./events/bus.ts";
import { createIntegrationsModule } from "./integrations/module.ts";
import { createNotifierModule } from "./notifier/module.ts";
import { Outbox } from "./jobs/outbox.ts";
import { JobRunner } from "./jobs/runner.ts";
import type { Logger } from "./log.ts";
import { createScorer, type Scorer } from "./ml/scorer.ts";
import { createRecommenderModule } from "./recommender/module.ts";
import { AccountDeletionHooks } from "./user/deletion.ts";
import { createUserModule } from "./user/module.ts";

/**
 * What every module is built from: the configuration and the shared services. Modules register
 * their jobs on `jobs`, their outbox handlers on `outbox`, their subscriptions on `bus` and what
 * to revoke when a person leaves on `accountDeletion`.
 */
export interface Kernel {
  config: Config;
  log: Logger;
  database: DatabaseHandle;
  bus: EventBus;
  jobs: JobRunner;
  outbox: Outbox;
  settings: SettingsStore;
  scorer: Scorer;
  accountDeletion: AccountDeletionHooks;
  /** The WAL checkpoints' last round, once the server started them (none in memory or without timers). */
  lastCheckpoint: () => ReturnType<Checkpointer["last"]>;
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

export interface RuntimeOptions {
  /** Overrides `config.databasePath` (tests use ":memory:"). */
  databasePath?: string;
}

export interface StartOptions {
  /**
   * The timers: background jobs and, on a database file, WAL checkpoints on their own thread.
   * Tests leave them off and run jobs by name (`jobs.trigger`), so nothing fires mid-test.
   */
  timers?: boolean;
}

/**
 * The one wiring, shared by the server, the CLI commands and the tests: opens and migrates the
 * database (a failed migration throws `MigrationError`), builds the shared services and every
 * module once, and starts and stops them together. Building spawns nothing and starts no timer;
 * `start` does. `stop` ends the timers first (new work stops), then what is in flight (the
 * modules' background work, latest built first, and the outbox), then the scorer and the
 * checkpointer, and closes the database into its one file last.
 */
export function createRuntime(config: Config, log: Logger, options: RuntimeOptions = {}) {
  const databasePath = options.databasePath ?? config.databasePath;
  const database = openDatabase(databasePath);
  let migrations: string[];
  try {
    migrations = migrate(database.sqlite);
  } catch (error) {
    database.sqlite.close();
    throw error;
  }
  if (migrations.length > 0) log.info({ migrations }, "database migrated");

  const jobs = new JobRunner(log);
  let checkpointer: Checkpointer | null = null;
  const kernel: Kernel = {
    config,
    log,
    database,
    bus: new EventBus(database.sqlite, log),
    jobs,
    outbox: new Outbox({ db: database.db, log, jobs }),
    settings: new SettingsStore(database.db, log),
    scorer: createScorer({ config, log }),
    accountDeletion: new AccountDeletionHooks(),
    lastCheckpoint: () => checkpointer?.last() ?? null,
  };
  const auth = createAuthModule(kernel);
  const user = createUserModule(kernel);
  const recommender = createRecommenderModule(kernel);
  const integrations = createIntegrationsModule(kernel, { recommender });
  const notifier = createNotifierModule(kernel, { user, recommender });
  const admin = createAdminModule(kernel, { auth, user, recommender, integrations, notifier });
  const modules = { auth, user, recommender, integrations, notifier, admin };

  let state: "built" | "started" | "stopped" = "built";

  return {
    ...kernel,
    modules,
    /** The migrations this runtime applied when it opened the database. */
    migrations,

    start({ timers = true }: StartOptions = {}): void {
      if (state !== "built") return;
      state = "started";
      kernel.scorer.start();
      if (!timers) return;
      if (databasePath !== ":memory:") {
        // Checkpoints run on their own thread while serving, never on a request's commit.
        database.sqlite.run("PRAGMA wal_autocheckpoint = 0");
        checkpointer = startCheckpointer(databasePath, {
          intervalMs: CHECKPOINT_INTERVAL_MS,
          commits: database.commits,
          onError: (reason) => log.warn({ reason }, "background WAL checkpoint failed"),
        });
      }
      jobs.start();
    },

    /** Stops what `start` started, lets work in flight finish, and closes the database into its one file. */
    async stop(): Promise<void> {
      if (state === "stopped") return;
      state = "stopped";
      await jobs.stop();
      for (const module of Object.values(modules).reverse()) if ("stop" in module) await module.stop();
      await kernel.outbox.stop();
      await kernel.scorer.close();
      await checkpointer?.stop();
      database.close();
    },
  };
}

export type Runtime = ReturnType<typeof createRuntime>;
export type Modules = Runtime["modules"];
