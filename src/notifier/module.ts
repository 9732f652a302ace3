import { and, count, desc, eq, gte, isNotNull } from "drizzle-orm";
import { pushDeliveries } from "../db/schema.ts";
import { reasonOf } from "../errors.ts";
import type { RecommenderModule } from "../recommender/module.ts";
import type { Kernel } from "../runtime.ts";
import { DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS } from "../time.ts";
import type { UserModule } from "../user/module.ts";
import { inQuietHours, startOfLocalDay, worthInterrupting } from "./decide.ts";
import { PUSH_SEND, pushSendHandler } from "./delivery.ts";
import { NotifierSettingsSchema, type PushMessage, type PushSendPayload, type RoundResult, SKIP_REASONS, type SkipReason, type Subscription } from "./model.ts";
import { PushSubscriptions } from "./subscriptions.ts";

/** The most of a tip's text a push carries: the payload stays under 1 KB once encrypted (a long task is cut, the page has it whole). */
export const PUSH_TEXT_LIMIT = 400;
const clipped = (text: string) => (text.length > PUSH_TEXT_LIMIT ? `${text.slice(0, PUSH_TEXT_LIMIT - 1)}…` : text);

/** Someone who had the tip page in front of them this recently needs no push. */
export const PAGE_OPEN_MS = 10 * MINUTE_MS;

export interface NotifierDeps {
  user: Pick<UserModule, "pushRecipients" | "updateProfile">;
  recommender: Pick<RecommenderModule, "recommender" | "pushesSince">;
}

/** How long a push service keeps a push for a device that is offline: a tip an hour old is stale. */
export const PUSH_TTL_SECONDS = 3600;

/**
 * Web push: the browsers' subscriptions, the rounds that decide who gets a tip pushed, and pushes
 * delivered through the outbox (so a send survives a restart and never holds up a request).
 * Registers the `push.round` job and the `push.send` outbox handler.
 */
export function createNotifierModule({ config, database, outbox, jobs, log, settings: settingsStore }: Kernel, { user, recommender }: NotifierDeps) {
  const { db } = database;
  const subscriptions = new PushSubscriptions(db, config.apiBaseUrl);
  const settings = settingsStore.section("notifier", NotifierSettingsSchema);
  outbox.register<PushSendPayload>(PUSH_SEND, pushSendHandler({ db, subscriptions, vapid: config.vapid }));
  let lastRound: RoundResult | null = null;

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

  /**
   * One round: for each person who asked for pushes, the tip the serving policy would pick now,
   * pushed only when it is worth an interruption and never in their quiet hours, past the daily
   * cap, twice for one candidate within 24 h, or while they had the page open. A push is a served
   * tip (channel "push", with its propensity), so a reaction to it teaches the bandit.
   */
  async function runRound(now = Date.now(), signal?: AbortSignal): Promise<RoundResult> {
    const { scoreThreshold, dailyCap } = settings.get();
    const result: RoundResult = { at: now, considered: 0, sent: 0, skipped: Object.fromEntries(SKIP_REASONS.map((reason) => [reason, 0])) as Record<SkipReason, number> };
    const skip = (reason: SkipReason) => void result.skipped[reason]++;
    for (const person of user.pushRecipients()) {
      if (signal?.aborted) break;
      result.considered++;
      if (subscriptions.count(person.id) === 0) {
        skip("no_device");
        continue;
      }
      if (inQuietHours(now, person.timezone, person.quietHoursStart, person.quietHoursEnd)) {
        skip("quiet_hours");
        continue;
      }
      const seen = recommender.recommender.pageSeenAt(person.id);
      if (seen !== null && now - seen < PAGE_OPEN_MS) {
        skip("page_open");
        continue;
      }
      if (recommender.pushesSince(person.id, startOfLocalDay(now, person.timezone)) >= dailyCap) {
        skip("daily_cap");
        continue;
      }
      try {
        const choice = await recommender.recommender.choose(person, { now });
        if (choice.allClear) {
          skip("nothing_waiting");
          continue;
        }
        const why = worthInterrupting(choice, scoreThreshold);
        if (why === null) {
          skip("not_worth");
          continue;
        }
        if (recommender.pushesSince(person.id, now - DAY_MS, choice.chosen.key) > 0) {
          skip("duplicate");
          continue;
        }
        const tip = await recommender.recommender.serve(person, choice, "push");
        sendToDevices(person.id, { kind: "tip", tipId: tip.id, text: clipped(tip.content), actions: ["done", "snooze"] }, { topic: "oo-tip", urgency: why === "urgent" ? "high" : "normal" });
        result.sent++;
      } catch (error) {
        log.warn({ userId: person.id, reason: reasonOf(error) }, "push round: deciding for a person failed");
        skip("failed");
      }
    }
    lastRound = result;
    if (result.considered > 0) log.info({ ...result }, `push round: ${result.sent} sent of ${result.considered}`);
    return result;
  }
  // Checked every minute, so a change of `roundMinutes` takes effect without a restart.
  jobs.add({
    name: "push.round",
    intervalMs: MINUTE_MS,
    startDelayMs: MINUTE_MS,
    run: (signal) => {
      const now = Date.now();
      if (lastRound && now - lastRound.at < settings.get().roundMinutes * MINUTE_MS - SECOND_MS) return;
      return runRound(now, signal);
    },
  });

  return {
    settings,
    runRound,
    /** The last round's counts: how many were considered, sent, and skipped for each reason. */
    lastRound: () => lastRound,
    /** The VAPID public key browsers subscribe with. */
    publicKey: config.vapid.publicKey,
    /** Keeps a device's subscription; subscribing is asking for pushes. */
    subscribe(userId: string, subscription: Subscription) {
      const saved = subscriptions.save(userId, subscription);
      user.updateProfile(userId, { pushOptIn: true });
      return saved;
    },
    /** Forgets a device; with none left, the person no longer asks for pushes. */
    unsubscribe(userId: string, endpoint: string) {
      const removed = subscriptions.remove(userId, endpoint);
      const devices = subscriptions.count(userId);
      if (devices === 0) user.updateProfile(userId, { pushOptIn: false });
      return { removed, devices };
    },
    devices: (userId: string) => subscriptions.count(userId),
    /** A test push to each of the person's devices (their "send me a test" on the account page). */
    sendTest: (userId: string, traceparent?: string) =>
      sendToDevices(userId, { kind: "test", text: "Notifications work. This is how a tip will reach you." }, { topic: "oo-test", urgency: "normal", traceparent }),
    /** Deliveries since `since` by outcome, the last error among them, and the last delivery ever (for the console). */
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
      const last = db.select({ status: pushDeliveries.status, at: pushDeliveries.at }).from(pushDeliveries).orderBy(desc(pushDeliveries.at)).limit(1).get();
      const by = Object.fromEntries(counts.map((row) => [row.status, row.n]));
      return { sent: by.sent ?? 0, retried: by.retry ?? 0, failed: by.failed ?? 0, pruned: by.pruned ?? 0, lastError: lastError ?? null, last: last ?? null };
    },
    /** Every attempt to reach one person's devices, newest first (for tests). */
    deliveriesOf: (userId: string) => db.select().from(pushDeliveries).where(eq(pushDeliveries.userId, userId)).orderBy(desc(pushDeliveries.id)).all(),
  };
}

export type NotifierModule = ReturnType<typeof createNotifierModule>;
