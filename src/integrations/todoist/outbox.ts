import { and, asc, eq, isNotNull, isNull, lt, lte, sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { outbox } from "../../db/schema.ts";
import { continueTrace } from "../../http/tracing.ts";
import type { Logger } from "../../log.ts";
import type { IntegrationStore } from "../store.ts";
import { IntegrationUnavailable, TODOIST, type TodoistAccess } from "./access.ts";
import { type TodoistClient, TodoistNotFoundError, TodoistRateLimitError } from "./client.ts";
import { safeReason } from "./sync.ts";
import { CLOSE_TASK } from "./task-store.ts";

type OutboxRow = typeof outbox.$inferSelect;

interface ClosePayload {
  taskId: string;
  /** The trace of the request that said "done", so the delivery joins it however late it lands. */
  traceparent?: string;
}

/** First retry after ~5 s, doubling up to an hour; each wait is 50–100 % of its step. */
const BACKOFF_BASE_MS = 5_000;
const BACKOFF_MAX_MS = 3_600_000;
const BATCH = 100;

export interface DrainResult {
  delivered: number;
  retrying: number;
  dropped: number;
}

export interface CloseOutboxDeps {
  db: Db;
  store: IntegrationStore;
  access: TodoistAccess;
  /** Makes one attempt per call: the outbox does the retrying, across restarts. */
  client: TodoistClient;
  log: Logger;
  signal: AbortSignal;
}

/**
 * Completing tasks in Todoist through the persisted `outbox`: a "done" is written to SQLite first
 * and delivered after, retried with exponential backoff until Todoist has it, the task is gone, or
 * the integration is. The row id is the request id Todoist de-duplicates on, so a close retried
 * after an answer was lost never completes a recurring task twice.
 */
export class CloseOutbox {
  private draining: Promise<void> | null = null;
  private again = false;

  constructor(private readonly deps: CloseOutboxDeps) {}

  /** Queues a close (once per task while one is pending) and starts delivering; null when Todoist is not connected. */
  enqueue(userId: string, taskId: string, traceparent?: string, now = Date.now()): number | null {
    const { db, store } = this.deps;
    if (!store.get(userId, TODOIST)) return null;
    const id = db.transaction((tx) => {
      const pending = tx
        .select({ id: outbox.id })
        .from(outbox)
        .where(and(eq(outbox.userId, userId), eq(outbox.kind, CLOSE_TASK), isNull(outbox.doneAt), sql`json_extract(${outbox.payload}, '$.taskId') = ${taskId}`))
        .get();
      if (pending) return pending.id;
      const payload: ClosePayload = traceparent ? { taskId, traceparent } : { taskId };
      return tx.insert(outbox).values({ userId, kind: CLOSE_TASK, payload: { ...payload }, nextAttemptAt: now, createdAt: now }).returning({ id: outbox.id }).get().id;
    });
    void this.kick();
    return id;
  }

  /** Delivers everything due; a call while a pass is running makes that pass go round once more. */
  kick(): Promise<void> {
    if (this.draining) {
      this.again = true;
      return this.draining;
    }
    this.draining = (async () => {
      try {
        do {
          this.again = false;
          await this.drain();
        } while (this.again && !this.deps.signal.aborted);
      } catch (error) {
        this.deps.log.error({ err: error }, "todoist outbox pass failed");
      } finally {
        this.draining = null;
      }
    })();
    return this.draining;
  }

  /** Resolves once no pass is running. */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /** One pass over the rows due by `now`, oldest first. */
  async drain(now = Date.now()): Promise<DrainResult> {
    const result: DrainResult = { delivered: 0, retrying: 0, dropped: 0 };
    const due = this.deps.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.kind, CLOSE_TASK), isNull(outbox.doneAt), lte(outbox.nextAttemptAt, now)))
      .orderBy(asc(outbox.nextAttemptAt), asc(outbox.id))
      .limit(BATCH)
      .all();
    for (const row of due) {
      if (this.deps.signal.aborted) break;
      result[await this.deliver(row)]++;
    }
    if (result.delivered || result.retrying || result.dropped) this.deps.log.info({ ...result }, "todoist outbox pass");
    return result;
  }

  /** Done rows are history; after a week they go. */
  purgeDone(olderThanMs: number, now = Date.now()): number {
    return this.deps.db
      .delete(outbox)
      .where(and(eq(outbox.kind, CLOSE_TASK), isNotNull(outbox.doneAt), lt(outbox.doneAt, now - olderThanMs)))
      .returning({ id: outbox.id })
      .all().length;
  }

  private async deliver(row: OutboxRow): Promise<keyof DrainResult> {
    const { access, client, log, signal } = this.deps;
    const payload = row.payload as unknown as ClosePayload;
    const trace = continueTrace(payload.traceparent ?? null);
    const fields = { traceId: trace.traceId, userId: row.userId, outboxId: row.id, attempts: row.attempts + 1 };
    try {
      await access.withToken(
        row.userId,
        (token) => client.closeTask(token, payload.taskId, { requestId: `oo-outbox-${row.id}`, traceparent: trace.traceparent, signal }),
        { traceparent: trace.traceparent, signal },
      );
      this.finish(row, null);
      log.info(fields, "todoist task closed");
      return "delivered";
    } catch (error) {
      if (signal.aborted) return "retrying";
      if (error instanceof TodoistNotFoundError) {
        this.finish(row, "task gone");
        log.info(fields, "todoist task already gone; close dropped");
        return "dropped";
      }
      if (error instanceof IntegrationUnavailable && error.reason === "gone") {
        this.finish(row, "integration gone");
        return "dropped";
      }
      const retryAfterMs = error instanceof TodoistRateLimitError ? error.retryAfterMs : null;
      const delay = this.retryLater(row, safeReason(error), retryAfterMs);
      log.warn({ ...fields, reason: safeReason(error), retryInMs: delay }, "todoist close failed; will retry");
      return "retrying";
    }
  }

  private finish(row: OutboxRow, note: string | null) {
    this.deps.db
      .update(outbox)
      .set({ doneAt: Date.now(), attempts: row.attempts + 1, lastError: note })
      .where(eq(outbox.id, row.id))
      .run();
  }

  private retryLater(row: OutboxRow, reason: string, retryAfterMs: number | null): number {
    const step = Math.min(BACKOFF_BASE_MS * 2 ** row.attempts, BACKOFF_MAX_MS);
    const delay = Math.max(Math.round(step * (0.5 + Math.random() * 0.5)), retryAfterMs ?? 0);
    this.deps.db
      .update(outbox)
      .set({ attempts: row.attempts + 1, nextAttemptAt: Date.now() + delay, lastError: reason.slice(0, 300) })
      .where(eq(outbox.id, row.id))
      .run();
    return delay;
  }
}
