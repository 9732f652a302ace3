import { createHmac, timingSafeEqual } from "node:crypto";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import { and, desc, eq, gte, lt, sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { outbox, tipViews, webhookDeliveries } from "../../db/schema.ts";
import type { EventBus } from "../../events/bus.ts";
import type { Logger } from "../../log.ts";
import { taskKey } from "../../recommender/candidates/tasks.ts";
import type { FeedbackService } from "../../recommender/feedback.ts";
import type { Background } from "../background.ts";
import { WebhookEnvelope } from "../model.ts";
import type { IntegrationRow, IntegrationStore } from "../store.ts";
import { TODOIST } from "./access.ts";
import { CLOSE_TASK, type SyncCounts, type TodoistTaskStore } from "./task-store.ts";
import { normalizeTask, parseInstant, type TodoistApiTask, TodoistApiTaskSchema } from "./tasks.ts";

/** A completion in Todoist counts for a tip served this long before. */
export const REWARD_WINDOW_MS = 24 * 3_600_000;
/** Delivery ids are kept this long; Todoist stops retrying well before. */
export const DELIVERY_RETENTION_MS = 7 * 24 * 3_600_000;
/** Todoist's payloads are a few KB; anything this large is not one of them. */
export const MAX_WEBHOOK_BYTES = 1024 * 1024;

const envelopeCheck = TypeCompiler.Compile(WebhookEnvelope);
const taskCheck = TypeCompiler.Compile(TodoistApiTaskSchema);
const TASK_EVENTS = new Set(["item:added", "item:updated", "item:deleted", "item:completed", "item:uncompleted"]);

/** `X-Todoist-Hmac-SHA256`: base64 HMAC-SHA256 of the raw body keyed with the client secret, compared in constant time. */
export function verifySignature(body: Uint8Array, header: string | null, secret: string): boolean {
  if (!header || !secret) return false;
  const expected = createHmac("sha256", secret).update(body).digest();
  const given = Buffer.from(header.trim(), "base64");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** An RFC 3339 timestamp of an event, or null when missing or unreadable. */
const instantOf = (value: string | null | undefined) => (value ? (parseInstant(value) ?? null) : null);

/** The task an item event carries; a deletion needs no more than its id. */
function taskOf(event: string, data: unknown): TodoistApiTask | null {
  if (taskCheck.Check(data)) return data;
  const id = (data as { id?: unknown } | null)?.id;
  if (event === "item:deleted" && typeof id === "string" && id !== "") return { id, content: "", is_deleted: true };
  return null;
}

export type WebhookOutcome =
  | { status: 200; result: "applied" | "duplicate" | "ignored" }
  | { status: 400 | 401 | 404 | 413; error: string; message: string };

/** The feedback source of a completion Todoist reported: such a "done" is not sent back to Todoist. */
export const WEBHOOK_FEEDBACK_SOURCE = "todoist_webhook";

export interface TodoistWebhooksDeps {
  db: Db;
  store: IntegrationStore;
  tasks: TodoistTaskStore;
  feedback: Pick<FeedbackService, "give">;
  bus: EventBus;
  log: Logger;
  background: Background;
  clientSecret: string;
}

/**
 * Todoist → oO. The signature is checked on the raw bytes before anything is parsed; a delivery
 * id is applied once; task events update the stored copy; a completion of a task oO served in
 * the last 24 h, with no reaction yet, becomes a delayed "done" through the normal feedback path.
 */
export class TodoistWebhooks {
  constructor(private readonly deps: TodoistWebhooksDeps) {}

  handle(body: Uint8Array, headers: { signature: string | null; deliveryId: string | null; traceId?: string }, now = Date.now()): WebhookOutcome {
    const { db, store, log } = this.deps;
    if (!this.deps.clientSecret) return { status: 404, error: "todoist_disabled", message: "Todoist is not configured on this instance." };
    if (body.byteLength > MAX_WEBHOOK_BYTES) return { status: 413, error: "too_large", message: "The webhook body is too large." };
    if (!verifySignature(body, headers.signature, this.deps.clientSecret)) {
      log.warn({ traceId: headers.traceId }, "todoist webhook refused: bad signature");
      return { status: 401, error: "bad_signature", message: "The webhook signature does not match." };
    }
    let envelope: unknown;
    try {
      envelope = JSON.parse(new TextDecoder().decode(body));
    } catch {
      return { status: 400, error: "invalid_body", message: "The webhook body is not JSON." };
    }
    if (!envelopeCheck.Check(envelope)) return { status: 400, error: "invalid_body", message: "The webhook body is not a Todoist event." };
    const event = envelope.event_name;
    const externalUserId = String(envelope.user_id);
    const fields = { traceId: headers.traceId, event, deliveryId: headers.deliveryId };
    const targets = store.byExternalUser(TODOIST, externalUserId);
    if (targets.length === 0) {
      log.info(fields, "todoist webhook for no connected user; ignored");
      return { status: 200, result: "ignored" };
    }
    const task = TASK_EVENTS.has(event) ? taskOf(event, envelope.event_data) : null;

    const changes = db.transaction(() => {
      if (headers.deliveryId) {
        const fresh = db
          .insert(webhookDeliveries)
          .values({ provider: TODOIST, deliveryId: headers.deliveryId.slice(0, 200), receivedAt: now })
          .onConflictDoNothing()
          .returning({ id: webhookDeliveries.deliveryId })
          .get();
        if (!fresh) return null;
      }
      return task ? targets.map((target) => ({ target, counts: this.apply(target, event, task, now) })) : [];
    });
    if (changes === null) {
      log.info(fields, "todoist webhook delivery seen before; skipped");
      return { status: 200, result: "duplicate" };
    }
    for (const { target, counts } of changes) {
      if (counts) this.deps.bus.publish("signals.task.synced", { provider: TODOIST, ...counts }, target.userId);
    }
    if (task && event === "item:completed") for (const target of targets) this.reward(target.userId, task, now, headers.traceId);
    log.info({ ...fields, users: targets.length }, "todoist webhook applied");
    return { status: 200, result: changes.length > 0 ? "applied" : "ignored" };
  }

  purgeDeliveries(now = Date.now()): number {
    return this.deps.db
      .delete(webhookDeliveries)
      .where(and(eq(webhookDeliveries.provider, TODOIST), lt(webhookDeliveries.receivedAt, now - DELIVERY_RETENTION_MS)))
      .returning({ id: webhookDeliveries.deliveryId })
      .all().length;
  }

  /** The task event on one user's stored copy; the counts when something changed. */
  private apply(target: IntegrationRow, event: string, task: TodoistApiTask, now: number): SyncCounts | null {
    const { tasks } = this.deps;
    const counts = { added: 0, updated: 0, removed: 0 };
    if (event === "item:deleted" || task.is_deleted || task.checked) {
      if (tasks.remove(target.userId, task.id)) counts.removed++;
    } else {
      let normalized;
      try {
        normalized = normalizeTask(task);
      } catch (error) {
        if (!(error instanceof RangeError)) throw error;
        return null;
      }
      const outcome = tasks.upsert(target.userId, normalized, now);
      if (outcome !== "unchanged") counts[outcome]++;
    }
    if (counts.added + counts.updated + counts.removed === 0) return null;
    return { total: tasks.recount(target.userId, now), ...counts };
  }

  /**
   * The delayed reward: the latest tip showing this task, served within the window and not
   * reacted to, gets a "done" from Todoist, once (feedback is unique per tip and action). A close
   * oO itself sent for this task echoes back here and is not a second reward.
   */
  private reward(userId: string, task: TodoistApiTask, now: number, traceId?: string) {
    const { db, feedback, background, log } = this.deps;
    const key = taskKey(TODOIST, task.id);
    const latest = db
      .select({ id: tipViews.id, servedAt: tipViews.servedAt, actedAt: tipViews.actedAt })
      .from(tipViews)
      // Bounded by the window, so the index range read stays small for a task that was never shown.
      .where(and(eq(tipViews.userId, userId), gte(tipViews.servedAt, now - REWARD_WINDOW_MS), eq(tipViews.candidateKey, key)))
      .orderBy(desc(tipViews.servedAt))
      .limit(1)
      .get();
    if (!latest || latest.actedAt !== null) return;
    const closedByUs = db
      .select({ id: outbox.id })
      .from(outbox)
      .where(
        and(
          eq(outbox.userId, userId),
          eq(outbox.kind, CLOSE_TASK),
          gte(outbox.createdAt, latest.servedAt),
          sql`json_extract(${outbox.payload}, '$.taskId') = ${task.id}`,
        ),
      )
      .get();
    if (closedByUs) return;
    // Dated at the completion, so a recurring task's next occurrence (changed at that moment) shows again.
    const completedAt = instantOf(task.completed_at) ?? instantOf(task.updated_at);
    const at = completedAt === null ? now : Math.max(latest.servedAt, Math.min(now, completedAt - 1));
    const given = feedback.give(userId, latest.id, "done", { source: WEBHOOK_FEEDBACK_SOURCE, now: at });
    log.info({ traceId, userId, tipId: latest.id }, "todoist completion rewarded a served tip");
    background.run("todoist.reward", () => given, { userId, tipId: latest.id });
  }
}
