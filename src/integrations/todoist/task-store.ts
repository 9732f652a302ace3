import { and, count, eq, inArray, isNull, sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { integrations, outbox, tasks } from "../../db/schema.ts";
import { TODOIST } from "./access.ts";
import type { TodoistTask } from "./tasks.ts";

export const CLOSE_TASK = "todoist.close_task";

type TaskRow = typeof tasks.$inferSelect;

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

const sameStored = (row: TaskRow, fields: StoredFields) =>
  (Object.keys(fields) as (keyof StoredFields)[]).every((name) => row[name] === fields[name]);

/** SQLite allows 32,766 bound values per statement; a task row binds 18. */
const ROWS_PER_INSERT = 500;
const IDS_PER_DELETE = 500;

/** The `tasks` rows of one provider, written by the full sync and by webhooks. */
export class TodoistTaskStore {
  constructor(private readonly db: Db) {}

  /** Tasks with a close waiting in the outbox: the stored copy stays as it is until Todoist has it. */
  pendingCloses(userId: string): Set<string> {
    const rows = this.db
      .select({ taskId: sql<string>`json_extract(${outbox.payload}, '$.taskId')` })
      .from(outbox)
      .where(and(eq(outbox.userId, userId), eq(outbox.kind, CLOSE_TASK), isNull(outbox.doneAt)))
      .all();
    return new Set(rows.map((row) => row.taskId));
  }

  /**
   * Makes the stored tasks match a full listing, in one transaction: new ones added, changed ones
   * rewritten, unchanged ones left alone (a second sync writes nothing), missing ones removed.
   * Kept as they are: tasks in `keep` (listed but unreadable), tasks with a pending close, and
   * rows a webhook wrote after the listing started. Null when the integration went away meanwhile.
   */
  replaceAll(userId: string, integrationId: number, listing: TodoistTask[], keep: Set<string>, startedAt: number, now = Date.now()): SyncCounts | null {
    return this.db.transaction((tx) => {
      const live = tx
        .select({ id: integrations.id })
        .from(integrations)
        .where(and(eq(integrations.id, integrationId), eq(integrations.status, "connected")))
        .get();
      if (!live) return null;
      const existing = new Map(
        tx
          .select()
          .from(tasks)
          .where(and(eq(tasks.userId, userId), eq(tasks.provider, TODOIST)))
          .all()
          .map((row) => [row.externalId, row]),
      );
      const pending = this.pendingCloses(userId);
      const listed = new Set<string>();
      const inserts: (typeof tasks.$inferInsert)[] = [];
      let updated = 0;
      for (const task of listing) {
        listed.add(task.id);
        if (pending.has(task.id)) continue;
        const fields = storedFields(task);
        const row = existing.get(task.id);
        if (!row) inserts.push({ userId, provider: TODOIST, externalId: task.id, ...fields, syncedAt: now });
        else if (row.syncedAt <= startedAt && !sameStored(row, fields)) {
          tx.update(tasks)
            .set({ ...fields, syncedAt: now })
            .where(and(eq(tasks.userId, userId), eq(tasks.provider, TODOIST), eq(tasks.externalId, task.id)))
            .run();
          updated++;
        }
      }
      for (let start = 0; start < inserts.length; start += ROWS_PER_INSERT) {
        tx.insert(tasks).values(inserts.slice(start, start + ROWS_PER_INSERT)).run();
      }
      const gone = [...existing.values()]
        .filter((row) => !listed.has(row.externalId) && !keep.has(row.externalId) && row.syncedAt <= startedAt)
        .map((row) => row.externalId);
      for (let start = 0; start < gone.length; start += IDS_PER_DELETE) {
        tx.delete(tasks)
          .where(and(eq(tasks.userId, userId), eq(tasks.provider, TODOIST), inArray(tasks.externalId, gone.slice(start, start + IDS_PER_DELETE))))
          .run();
      }
      const total = existing.size + inserts.length - gone.length;
      tx.update(integrations).set({ lastSyncAt: now, lastSyncError: null, taskCount: total, updatedAt: now }).where(eq(integrations.id, integrationId)).run();
      return { total, added: inserts.length, updated, removed: gone.length };
    });
  }

  /** One task as a webhook reported it; an older report than the stored copy, or one with a pending close, changes nothing. */
  upsert(userId: string, task: TodoistTask, now = Date.now()): "added" | "updated" | "unchanged" {
    if (this.pendingCloses(userId).has(task.id)) return "unchanged";
    const fields = storedFields(task);
    const key = and(eq(tasks.userId, userId), eq(tasks.provider, TODOIST), eq(tasks.externalId, task.id));
    const row = this.db.select().from(tasks).where(key).get();
    if (!row) {
      this.db.insert(tasks).values({ userId, provider: TODOIST, externalId: task.id, ...fields, syncedAt: now }).run();
      return "added";
    }
    const stale = row.updatedAt !== null && fields.updatedAt !== null && fields.updatedAt < row.updatedAt;
    if (stale || sameStored(row, fields)) return "unchanged";
    this.db.update(tasks).set({ ...fields, syncedAt: now }).where(key).run();
    return "updated";
  }

  remove(userId: string, externalId: string): boolean {
    return (
      this.db
        .delete(tasks)
        .where(and(eq(tasks.userId, userId), eq(tasks.provider, TODOIST), eq(tasks.externalId, externalId)))
        .returning({ id: tasks.externalId })
        .all().length > 0
    );
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
