import type { OutboxHandler, Outbox } from "../../jobs/outbox.ts";
import type { IntegrationStore } from "../store.ts";
import { IntegrationUnavailable, TODOIST, type TodoistAccess } from "./access.ts";
import { type TodoistClient, TodoistNotFoundError } from "./client.ts";
import { safeReason } from "./sync.ts";

/** The outbox kind of a "done" on its way to Todoist. */
export const CLOSE_TASK = "todoist.close_task";
/** The outbox kind of an undone "done" whose close may have reached Todoist. */
export const REOPEN_TASK = "todoist.reopen_task";

export interface ClosePayload extends Record<string, unknown> {
  taskId: string;
}

/**
 * Delivers one close or reopen. The item id is the request id Todoist de-duplicates on, so a close
 * retried after an answer was lost never completes a recurring task twice. A task deleted in
 * Todoist, or a grant that is gone, ends the item; anything else is retried (a 429 after its
 * Retry-After, which the client's error carries as `retryAfterMs`).
 */
export function taskChangeHandler(
  change: "closeTask" | "reopenTask",
  { access, client }: { access: TodoistAccess; client: TodoistClient },
): OutboxHandler<ClosePayload> {
  return {
    async deliver(item, { signal, traceparent }) {
      try {
        await access.withToken(
          item.userId,
          (token) => client[change](token, item.payload.taskId, { requestId: `oo-outbox-${item.id}`, traceparent, signal }),
          { traceparent, signal },
        );
        return "delivered";
      } catch (error) {
        if (error instanceof TodoistNotFoundError) return { dropped: "task gone" };
        if (error instanceof IntegrationUnavailable && error.reason === "gone") return { dropped: "integration gone" };
        throw error;
      }
    },
    describe: safeReason,
  };
}

/**
 * Completing tasks in Todoist through the outbox: a "done" is written to SQLite first and
 * delivered after, retried until Todoist has it, the task is gone, or the integration is. The close
 * is held for the undo window, so a "done" undone in time never reaches Todoist; one undone after
 * its close may have gone out is reopened there.
 */
export class TodoistCloses {
  constructor(
    private readonly outbox: Outbox,
    private readonly store: IntegrationStore,
    /** How long a close waits before it is sent: the time a "done" can be undone. */
    private readonly holdMs: number,
  ) {}

  /** Queues a close (once per task while one is pending) and starts delivering it once held; null when Todoist is not connected. */
  enqueue(userId: string, taskId: string, traceparent?: string, now = Date.now()): number | null {
    if (!this.store.get(userId, TODOIST)) return null;
    return this.outbox.enqueue<ClosePayload>(CLOSE_TASK, userId, { taskId }, { dedupeOn: "taskId", traceparent, now, notBefore: now + this.holdMs });
  }

  /**
   * A "done" made at `since` was undone: a close still held is withdrawn (Todoist never hears of
   * it); one that may have reached Todoist is followed by a reopen. Returns what was done.
   */
  undo(userId: string, taskId: string, since: number, traceparent?: string): "withdrawn" | "reopening" | "nothing" {
    const { withdrawn, attempted } = this.outbox.withdraw(CLOSE_TASK, userId, { taskId }, "withdrawn: the done was undone");
    if (attempted || this.outbox.deliveredSince(CLOSE_TASK, userId, { taskId }, since)) {
      if (!this.store.get(userId, TODOIST)) return "nothing";
      this.outbox.enqueue<ClosePayload>(REOPEN_TASK, userId, { taskId }, { dedupeOn: "taskId", traceparent });
      return "reopening";
    }
    return withdrawn > 0 ? "withdrawn" : "nothing";
  }

  /** Tasks with a close waiting: the stored copy stays as it is until Todoist has it. */
  pendingTaskIds(userId: string): Set<string> {
    return new Set(this.outbox.pending<ClosePayload>(CLOSE_TASK, userId).map((item) => item.payload.taskId));
  }

  /** Whether oO itself queued a close of this task since `since` (Todoist then echoes it back as a completion). */
  closedSince(userId: string, taskId: string, since: number): boolean {
    return this.outbox.enqueuedSince(CLOSE_TASK, userId, { taskId }, since);
  }
}
