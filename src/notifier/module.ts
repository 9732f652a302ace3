import { and, count, desc, eq, gte, isNotNull } from "drizzle-orm";
import { pushDeliveries } from "../db/schema.ts";
import type { Kernel } from "../runtime.ts";
import { HOUR_MS } from "../time.ts";
import { PUSH_SEND, pushSendHandler } from "./delivery.ts";
import type { PushMessage, PushSendPayload, Subscription } from "./model.ts";
import { PushSubscriptions } from "./subscriptions.ts";

/** How long a push service keeps a push for a device that is offline: a tip an hour old is stale. */
export const PUSH_TTL_SECONDS = 3600;

/**
 * Web push: the browsers' subscriptions, and pushes delivered through the outbox (so a send
 * survives a restart and never holds up a request). Registers the `push.send` outbox handler.
 */
export function createNotifierModule({ config, database, outbox }: Kernel) {
  const { db } = database;
  const subscriptions = new PushSubscriptions(db, config.apiBaseUrl);
  outbox.register<PushSendPayload>(PUSH_SEND, pushSendHandler({ db, subscriptions, vapid: config.vapid }));

  /** Queues one push to each of the person's devices; returns how many. */
  const sendToDevices = (userId: string, message: PushMessage, options: { topic: string; urgency: PushSendPayload["urgency"]; traceparent?: string }) => {
    const devices = subscriptions.forUser(userId);
    for (const device of devices) {
      outbox.enqueue<PushSendPayload>(
        PUSH_SEND,
        userId,
        { subscriptionId: device.id, message, ttl: PUSH_TTL_SECONDS, urgency: options.urgency, topic: options.topic },
        { traceparent: options.traceparent },
      );
    }
    return devices.length;
  };

  return {
    /** The VAPID public key browsers subscribe with. */
    publicKey: config.vapid.publicKey,
    subscribe: (userId: string, subscription: Subscription) => subscriptions.save(userId, subscription),
    unsubscribe: (userId: string, endpoint: string) => ({ removed: subscriptions.remove(userId, endpoint), devices: subscriptions.count(userId) }),
    devices: (userId: string) => subscriptions.count(userId),
    /** "Send a test push to this person": one to each of their devices. */
    sendTest: (userId: string, traceparent?: string) =>
      sendToDevices(userId, { kind: "test", text: "Notifications work. This is how a tip will reach you." }, { topic: "oo-test", urgency: "normal", traceparent }),
    /** Deliveries since `since` by outcome, and the last error (for the console). */
    deliveryStats(since = Date.now() - 24 * HOUR_MS) {
      const counts = db
        .select({ status: pushDeliveries.status, n: count() })
        .from(pushDeliveries)
        .where(gte(pushDeliveries.at, since))
        .groupBy(pushDeliveries.status)
        .all();
      const lastError = db
        .select({ error: pushDeliveries.error, at: pushDeliveries.at })
        .from(pushDeliveries)
        .where(and(gte(pushDeliveries.at, since), isNotNull(pushDeliveries.error)))
        .orderBy(desc(pushDeliveries.at))
        .limit(1)
        .get();
      const by = Object.fromEntries(counts.map((row) => [row.status, row.n]));
      return { sent: by.sent ?? 0, retried: by.retry ?? 0, failed: by.failed ?? 0, pruned: by.pruned ?? 0, lastError: lastError ?? null };
    },
    /** Every attempt to reach one person's devices, newest first (tests, the console). */
    deliveriesOf: (userId: string) => db.select().from(pushDeliveries).where(eq(pushDeliveries.userId, userId)).orderBy(desc(pushDeliveries.id)).all(),
  };
}

export type NotifierModule = ReturnType<typeof createNotifierModule>;
