import { and, count, eq, getTableName, sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { integrations, tasks } from "../../db/schema.ts";
import { CappedMap, PER_PERSON_CACHE_LIMIT } from "../../capped-map.ts";
import { TODOIST } from "./access.ts";
import type { TodoistCloses } from "./close-task.ts";
import type { TodoistTask } from "./tasks.ts";

export interface SyncCounts {
  total: number;
  added: number;
  updated: number;
  removed: number;
}

/**
 * The columns oO fills from a task: what the recommender reads (`TaskSource`), nothing more. The
 * description, labels, project, deadline and duration are personal and unused, so they are not
 * kept (their columns stay at their empty defaults); a feature that needs one adds it here.
 */
export function storedFields(task: TodoistTask) {
  const due = task.due;
  return {
    content: task.content,
    priority: task.priority,
    dueKind: due?.kind ?? null,
    dueValue: due ? (due.kind === "date" ? due.date : due.datetime) : null,
    dueTimezone: due?.timezone ?? null,
    dueIsRecurring: due?.isRecurring ?? false,
    dueString: due ? due.string : null,
    addedAt: task.addedAt,
    updatedAt: task.updatedAt,
  };
}

type StoredFields = ReturnType<typeof storedFields>;

const placeholder = sql.placeholder;

/** The stored fields in a fixed order, for the hand-written statements below. */
const FIELD_ORDER = ["content", "priority", "dueKind", "dueValue", "dueTimezone", "dueIsRecurring", "dueString", "addedAt", "updatedAt"] as const satisfies readonly (keyof StoredFields)[];
// A field added to `storedFields` and forgotten here fails to compile.
const everyField: Exclude<keyof StoredFields, (typeof FIELD_ORDER)[number]> extends never ? true : never = true;
void everyField;

const sameStored = (row: StoredFields, fields: StoredFields) => FIELD_ORDER.every((name) => row[name] === fields[name]);
const column = (key: keyof typeof tasks.$inferSelect) => `"${tasks[key].name}"`;

/** SQLite takes booleans as 0/1. */
const fieldValues = (fields: StoredFields) => FIELD_ORDER.map((key) => (key === "dueIsRecurring" ? (fields[key] ? 1 : 0) : fields[key]));

/**
 * The `tasks` rows of one provider, written by the full sync and by webhooks. Every statement is
 * prepared once, and the per-row writes skip the query builder: on the thread that also answers
 * requests, building a query per row cost more than SQLite's own work.
 */
export class TodoistTaskStore {
  private readonly statements;
  private readonly rows;
  /** When a webhook removed a task (`userId:taskId`): a listing that started before must not bring it back. */
  private readonly removedAt = new CappedMap<string, number>(PER_PERSON_CACHE_LIMIT);

  constructor(
    private readonly db: Db,
    private readonly closes: Pick<TodoistCloses, "pendingTaskIds">,
  ) {
    const ofUser = and(eq(tasks.userId, placeholder("userId")), eq(tasks.provider, TODOIST));
    // Plain SQLite statements, named from the schema: drizzle's prepared queries cost twice as much per row.
    const client = db.$client;
    const table = `"${getTableName(tasks)}"`;
    const key = `${column("userId")} = ? AND ${column("provider")} = '${TODOIST}' AND ${column("externalId")} = ?`;
    const fieldColumns = FIELD_ORDER.map(column);
    const insert = client.prepare(
      `INSERT INTO ${table} (${column("userId")}, ${column("provider")}, ${column("externalId")}, ${fieldColumns.join(", ")}, ${column("syncedAt")}) ` +
        `VALUES (?, '${TODOIST}', ?, ${fieldColumns.map(() => "?").join(", ")}, ?)`,
    );
    const update = client.prepare(`UPDATE ${table} SET ${fieldColumns.map((name) => `${name} = ?`).join(", ")}, ${column("syncedAt")} = ? WHERE ${key}`);
    const remove = client.prepare(`DELETE FROM ${table} WHERE ${key}`);
    this.rows = {
      insert: (userId: string, externalId: string, fields: StoredFields, syncedAt: number) => insert.run(userId, externalId, ...fieldValues(fields), syncedAt),
      update: (userId: string, externalId: string, fields: StoredFields, syncedAt: number) => update.run(...fieldValues(fields), syncedAt, userId, externalId),
      remove: (userId: string, externalId: string) => remove.run(userId, externalId).changes > 0,
    };
    this.statements = {
      liveIntegration: db
        .select({ id: integrations.id })
        .from(integrations)
        .where(and(eq(integrations.id, placeholder("integrationId")), eq(integrations.status, "connected")))
        .prepare(),
      // Only what the comparison reads: no JSON column to decode per row.
      existing: db
        .select({
          externalId: tasks.externalId,
          syncedAt: tasks.syncedAt,
          content: tasks.content,
          priority: tasks.priority,
          dueKind: tasks.dueKind,
          dueValue: tasks.dueValue,
          dueTimezone: tasks.dueTimezone,
          dueIsRecurring: tasks.dueIsRecurring,
          dueString: tasks.dueString,
          addedAt: tasks.addedAt,
          updatedAt: tasks.updatedAt,
        })
        .from(tasks)
        .where(ofUser)
        .prepare(),
      finish: db
        .update(integrations)
        .set({ lastSyncAt: sql`${placeholder("now")}`, lastSyncError: null, taskCount: sql`${placeholder("total")}`, updatedAt: sql`${placeholder("now")}` })
        .where(eq(integrations.id, placeholder("integrationId")))
        .prepare(),
    };
  }

  /** Tasks with a close waiting in the outbox: the stored copy stays as it is until Todoist has it. */
  pendingCloses(userId: string): Set<string> {
    return this.closes.pendingTaskIds(userId);
  }

  /**
   * Makes the stored tasks match a full listing, in one transaction: new ones added, changed ones
   * rewritten, unchanged ones left alone (a second sync writes nothing), missing ones removed.
   * Kept as they are: tasks in `keep` (listed but unreadable), tasks with a pending close, rows a
   * webhook wrote after the listing started, and tasks a webhook removed since then. Null when the integration went away meanwhile.
   * `announce` runs inside the same transaction, so an event it records lands in the same commit;
   * `onRemoved` hears of each task removed (completed or deleted in Todoist: the listing cannot tell).
   */
  replaceAll(
    userId: string,
    integrationId: number,
    listing: TodoistTask[],
    options: { keep: Set<string>; startedAt: number; now?: number; announce?: (counts: SyncCounts) => void; onRemoved?: (taskId: string) => void },
  ): SyncCounts | null {
    const { keep, startedAt, now = Date.now(), announce, onRemoved } = options;
    const { statements } = this;
    return this.db.transaction(() => {
      if (!statements.liveIntegration.get({ integrationId })) return null;
      const existing = new Map(statements.existing.all({ userId }).map((row) => [row.externalId, row]));
      const pending = this.pendingCloses(userId);
      const listed = new Set<string>();
      let added = 0;
      let updated = 0;
      for (const task of listing) {
        listed.add(task.id);
        if (pending.has(task.id)) continue;
        const fields = storedFields(task);
        const row = existing.get(task.id);
        if (!row) {
          if ((this.removedAt.get(`${userId}:${task.id}`) ?? 0) > startedAt) continue;
          this.rows.insert(userId, task.id, fields, now);
          added++;
        } else if (row.syncedAt <= startedAt && !sameStored(row, fields)) {
          this.rows.update(userId, task.id, fields, now);
          updated++;
        }
      }
      let removed = 0;
      for (const row of existing.values()) {
        if (listed.has(row.externalId) || keep.has(row.externalId) || row.syncedAt > startedAt) continue;
        this.rows.remove(userId, row.externalId);
        onRemoved?.(row.externalId);
        removed++;
      }
      const total = existing.size + added - removed;
      statements.finish.run({ integrationId, total, now });
      const counts = { total, added, updated, removed };
      announce?.(counts);
      return counts;
    });
  }

  /** One task as a webhook reported it; an older report than the stored copy, or one with a pending close, changes nothing. */
  upsert(userId: string, task: TodoistTask, now = Date.now()): "added" | "updated" | "unchanged" {
    if (this.pendingCloses(userId).has(task.id)) return "unchanged";
    const fields = storedFields(task);
    const row = this.db
      .select()
      .from(tasks)
      .where(and(eq(tasks.userId, userId), eq(tasks.provider, TODOIST), eq(tasks.externalId, task.id)))
      .get();
    if (!row) {
      this.rows.insert(userId, task.id, fields, now);
      return "added";
    }
    const stale = row.updatedAt !== null && fields.updatedAt !== null && fields.updatedAt < row.updatedAt;
    if (stale || sameStored(row, fields)) return "unchanged";
    this.rows.update(userId, task.id, fields, now);
    return "updated";
  }

  /** One task a webhook reported completed or deleted. */
  remove(userId: string, externalId: string, now = Date.now()): boolean {
    this.removedAt.set(`${userId}:${externalId}`, now);
    return this.rows.remove(userId, externalId);
  }

  /** Recounts the user's tasks onto the integration row (after webhook changes); returns the count. */
  recount(userId: string, now = Date.now()): number {
    const total =
      this.db
        .select({ n: count() })
        .from(tasks)
        .where(and(eq(tasks.userId, userId), eq(tasks.provider, TODOIST)))
        .get()?.n ?? 0;
    this.db
      .update(integrations)
      .set({ taskCount: total, updatedAt: now })
      .where(and(eq(integrations.userId, userId), eq(integrations.provider, TODOIST)))
      .run();
    return total;
  }
}
