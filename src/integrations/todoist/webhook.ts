import { lazyCheck } from "../../lazy-check.ts";
import { and, eq, lt } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { webhookDeliveries } from "../../db/schema.ts";
import { hmacSha256, timingSafeEqual } from "../../crypto.ts";
import { AppError } from "../../errors.ts";
import type { EventBus } from "../../events/bus.ts";
import type { Background } from "../../jobs/background.ts";
import type { Logger } from "../../log.ts";
import { DAY_MS } from "../../time.ts";
import { WebhookEnvelope, type WebhookResult } from "../model.ts";
import type { IntegrationRow, IntegrationStore } from "../store.ts";
import { TODOIST } from "./access.ts";
import { type CompletionCredit, WEBHOOK_FEEDBACK_SOURCE } from "./completion-credit.ts";
import type { SyncCounts, TodoistTaskStore } from "./task-store.ts";
import { normalizeTask, type TodoistApiTask, TodoistApiTaskSchema } from "./tasks.ts";

/** Delivery ids are kept this long; Todoist stops retrying well before. */
export const DELIVERY_RETENTION_MS = 7 * DAY_MS;
/** Todoist's payloads are a few KB; anything this large is not one of them. */
export const MAX_WEBHOOK_BYTES = 1024 * 1024;

const envelopeCheck = lazyCheck(WebhookEnvelope);
const taskCheck = lazyCheck(TodoistApiTaskSchema);
const TASK_EVENTS = new Set(["item:added", "item:updated", "item:deleted", "item:completed", "item:uncompleted"]);
/** Strict: bytes that are not UTF-8 are refused, not read as replacement characters. */
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** A body over `MAX_WEBHOOK_BYTES` (also refused from its Content-Length, before it is read). */
export const tooLarge = () => new AppError("too_large", "too_large", "The webhook body is too large.");

/**
 * `X-Todoist-Hmac-SHA256`: base64 HMAC-SHA256 of the raw body keyed with the client secret, compared
 * as text in constant time: decoding the header first would accept other spellings of the same
 * bytes (Node's base64 decoder skips characters it does not know and stops at padding).
 */
export function verifySignature(body: Uint8Array, header: string | null, secret: string): boolean {
  if (!header || !secret) return false;
  const expected = Buffer.from(hmacSha256(secret, body).toString("base64"));
  const given = Buffer.from(header.trim());
  return given.length === expected.length && timingSafeEqual(given, expected);
}


/** The task an item event carries; a deletion needs no more than its id. */
function taskOf(event: string, data: unknown): TodoistApiTask | null {
  if (taskCheck().Check(data)) return data;
  const id = (data as { id?: unknown } | null)?.id;
  if (event === "item:deleted" && typeof id === "string" && id !== "") return { id, content: "", is_deleted: true };
  return null;
}

/** What became of a verified delivery (a refused one throws an `AppError`). */

export interface TodoistWebhooksDeps {
  db: Db;
  store: IntegrationStore;
  tasks: TodoistTaskStore;
  /** The delayed reward of a completion reported here. */
  credit: CompletionCredit;
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

  /**
   * Applies one delivery. Throws an `AppError` for one that is refused: Todoist not configured
   * (`not_found`), too large (`too_large`), a bad signature (`unauthenticated`), not an event (`invalid`).
   */
  handle(body: Uint8Array, headers: { signature: string | null; deliveryId: string | null; traceId?: string }, now = Date.now()): WebhookResult {
    const { db, store, log } = this.deps;
    if (!this.deps.clientSecret) throw new AppError("not_found", "todoist_disabled", "Todoist is not configured on this instance.");
    if (body.byteLength > MAX_WEBHOOK_BYTES) throw tooLarge();
    if (!verifySignature(body, headers.signature, this.deps.clientSecret)) {
      log.warn({ traceId: headers.traceId }, "todoist webhook refused: bad signature");
      throw new AppError("unauthenticated", "bad_signature", "The webhook signature does not match.");
    }
    let envelope: unknown;
    try {
      envelope = JSON.parse(utf8.decode(body));
    } catch {
      throw new AppError("invalid", "invalid_body", "The webhook body is not UTF-8 JSON.");
    }
    if (!envelopeCheck().Check(envelope)) throw new AppError("invalid", "invalid_body", "The webhook body is not a Todoist event.");
    const event = envelope.event_name;
    const externalUserId = String(envelope.user_id);
    const fields = { traceId: headers.traceId, event, deliveryId: headers.deliveryId };
    const targets = store.byExternalUser(TODOIST, externalUserId);
    if (targets.length === 0) {
      log.info(fields, "todoist webhook for no connected user; ignored");
      return "ignored";
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
      return "duplicate";
    }
    for (const { target, counts } of changes) {
      if (counts) this.deps.bus.publish("signals.task.synced", { provider: TODOIST, ...counts }, target.userId);
    }
    if (task && event === "item:completed") {
      for (const target of targets) this.deps.credit.credit(target.userId, task, WEBHOOK_FEEDBACK_SOURCE, now, headers.traceId);
    }
    log.info({ ...fields, users: targets.length }, "todoist webhook applied");
    return changes.length > 0 ? "applied" : "ignored";
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
}
