import type { AuthModule } from "../auth/module.ts";
import type { IntegrationsModule } from "../integrations/module.ts";
import type { RecommenderModule } from "../recommender/module.ts";
import type { Kernel } from "../runtime.ts";
import type { NotifierModule } from "../notifier/module.ts";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../time.ts";
import type { UserModule } from "../user/module.ts";
import { AuditLog } from "./audit.ts";
import { SettingsAdmin } from "./settings.ts";
import { Backups } from "./backups.ts";
import { Health } from "./health.ts";
import { AdminSettingsSchema } from "./model.ts";
import { Operations } from "./operations.ts";
import { SqlConsole } from "./sql-console.ts";
import { UserAdmin } from "./users.ts";

export interface AdminDeps {
  auth: AuthModule;
  user: UserModule;
  recommender: RecommenderModule;
  integrations: IntegrationsModule;
  notifier: NotifierModule;
}

/**
 * What the console does beyond reading: the audit log (every admin action, every admin sign-in,
 * kept `admin.auditRetentionDays`), the actions on people's accounts, and the instance's events,
 * jobs and recent problems.
 */
export function createAdminModule({ config, database, bus, log, jobs, scorer, lastCheckpoint, settings: settingsStore }: Kernel, deps: AdminDeps) {
  const { db } = database;
  const settings = settingsStore.section("admin", AdminSettingsSchema);
  const audit = new AuditLog(db, deps.user.emails);
  const users = new UserAdmin({ db, bus, log, audit, ...deps });
  const operations = new Operations({ db, bus, jobs, log, audit });
  const sql = new SqlConsole({ db, databasePath: database.sqlite.filename, audit });
  const settingsAdmin = new SettingsAdmin({ sections: [deps.recommender.settings, deps.notifier.settings, settings], audit, log });
  const backups = new Backups({ databasePath: database.sqlite.filename, dataDir: config.dataDir, audit, log, keep: () => settings.get().backupsKept });

  bus.subscribe("account.signed_in", ({ userId, payload }) => {
    if (payload.role === "admin") audit.record({ actorId: userId, action: "admin.sign-in", result: "ok", detail: `Signed in (${payload.method.replace("_", " ")})` });
  });
  jobs.add({
    name: "audit.retention",
    intervalMs: DAY_MS,
    startDelayMs: HOUR_MS,
    run: () => {
      const purged = audit.purge(settings.get().auditRetentionDays);
      if (purged > 0) log.info({ purged }, "audit retention: purged old entries");
    },
  });
  jobs.add({ name: "backups.daily", intervalMs: DAY_MS, startDelayMs: HOUR_MS, run: () => backups.take(null).then(() => {}) });
  const health = new Health({
    config,
    databasePath: database.sqlite.filename,
    bus,
    jobs,
    scorer,
    recommender: deps.recommender,
    notifier: deps.notifier,
    backups,
    lastCheckpoint,
  });
  jobs.add({ name: "health.checks", intervalMs: 10 * MINUTE_MS, startDelayMs: MINUTE_MS, run: () => health.checkInBackground() });
  return { settings, settingsAdmin, audit, users, operations, sql, backups, health };
}

export type AdminModule = ReturnType<typeof createAdminModule>;
