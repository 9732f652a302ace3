import { AppError, reasonOf } from "../errors.ts";
import { type BackupFile, backUp, backupPath, listBackups, pruneBackups } from "../db/backup.ts";
import type { Logger } from "../log.ts";
import type { AuditLog } from "./audit.ts";

/** The console's backups: now, daily (keeping the newest N), listed, downloaded; the last failure for the health page. */
export class Backups {
  /** The last attempt that failed, until one succeeds. */
  lastFailure: { at: number; reason: string } | null = null;

  /** The backup under way: the next waits for it, so two never pick the same name or prune each other. */
  private running: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: { databasePath: string; dataDir: string; audit: AuditLog; log: Logger; keep: () => number }) {}

  /** A backup now (after any under way), then the oldest beyond the number kept go. */
  take(actorId: string | null, now = Date.now()): Promise<BackupFile> {
    const next = this.running.then(() => this.takeNow(actorId, now));
    this.running = next.catch(() => {});
    return next;
  }

  private async takeNow(actorId: string | null, now: number): Promise<BackupFile> {
    const { databasePath, dataDir, audit, log } = this.deps;
    try {
      const backup = await backUp(databasePath, dataDir, now);
      const pruned = pruneBackups(dataDir, this.deps.keep());
      this.lastFailure = null;
      log.info({ backup: backup.name, bytes: backup.bytes, pruned }, "database backed up");
      if (actorId) audit.record({ actorId, action: "backup.create", result: "ok", detail: `${backup.name} (${backup.bytes} bytes)` });
      return backup;
    } catch (error) {
      this.lastFailure = { at: now, reason: reasonOf(error) };
      log.error({ reason: reasonOf(error) }, "database backup failed");
      if (actorId) audit.record({ actorId, action: "backup.create", result: "failed", detail: reasonOf(error) });
      throw new AppError("unavailable", "backup_failed", `The backup failed: ${reasonOf(error)}`);
    }
  }

  list(): { backups: BackupFile[]; lastFailure: { at: number; reason: string } | null } {
    return { backups: listBackups(this.deps.dataDir), lastFailure: this.lastFailure };
  }

  /** What the page says after "Back up now" made `name` (the address it is sent to names it); null for no such backup. */
  doneNotice(name: string | undefined): string | null {
    return name && backupPath(this.deps.dataDir, name) ? `Backed up: ${name}.` : null;
  }

  /** The file of a backup to download; audited. */
  download(actorId: string, name: string): string {
    const path = backupPath(this.deps.dataDir, name);
    if (!path) throw new AppError("not_found", "no_such_backup", "There is no backup of that name.");
    this.deps.audit.record({ actorId, action: "backup.download", result: "ok", detail: name });
    return path;
  }
}
