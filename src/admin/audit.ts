import { and, desc, eq, lt } from "drizzle-orm";
import { changedRows, type Db } from "../db/client.ts";
import { auditLog } from "../db/schema.ts";
import { DAY_MS } from "../time.ts";
import type { AuditList } from "./model.ts";

export interface AuditEntry {
  actorId: string | null;
  action: string;
  targetId?: string | null;
  result: "ok" | "failed";
  detail: string;
}

/** The `audit_log` table: every admin action and admin sign-in, newest first. */
export class AuditLog {
  constructor(
    private readonly db: Db,
    /** Who the ids are today: the entries keep ids only. */
    private readonly emails: (userIds: string[]) => Map<string, string | null>,
  ) {}

  record(entry: AuditEntry, now = Date.now()) {
    this.db
      .insert(auditLog)
      .values({ at: now, actorId: entry.actorId, action: entry.action, targetId: entry.targetId ?? null, result: entry.result, detail: entry.detail })
      .run();
  }

  /** A page of entries before the entry id `before`, of one action or person when asked (`audit_log_action_idx`, `audit_log_target_idx`). */
  list(options: { action?: string; target?: string; before?: number; limit: number }): AuditList {
    const conditions = [];
    if (options.action) conditions.push(eq(auditLog.action, options.action));
    if (options.target) conditions.push(eq(auditLog.targetId, options.target));
    if (options.before) conditions.push(lt(auditLog.id, options.before));
    const rows = this.db
      .select()
      .from(auditLog)
      .where(and(...conditions))
      .orderBy(desc(auditLog.id))
      .limit(options.limit + 1)
      .all();
    const page = rows.slice(0, options.limit);
    const emails = this.emails([...new Set(page.flatMap((entry) => [entry.actorId, entry.targetId].filter((id) => id !== null)))]);
    const entries = page.map((entry) => ({
      ...entry,
      actorEmail: (entry.actorId && emails.get(entry.actorId)) || null,
      targetEmail: (entry.targetId && emails.get(entry.targetId)) || null,
    }));
    return { entries, next: rows.length > options.limit ? page.at(-1)!.id : null };
  }

  /** Forgets entries older than the retention period; how many. */
  purge(retentionDays: number, now = Date.now()): number {
    return changedRows(this.db, this.db.delete(auditLog).where(lt(auditLog.at, now - retentionDays * DAY_MS)));
  }
}
