import type WebPush from "web-push";
import type { Config } from "../config.ts";
import type { Db } from "../db/client.ts";
import { pushDeliveries } from "../db/schema.ts";
import { retryAfterMs } from "../http/retry-after.ts";
import { type DeliveryOutcome, type OutboxHandler, RetryLater } from "../jobs/outbox.ts";
import { SECOND_MS } from "../time.ts";
import type { PushSendPayload } from "./model.ts";
import type { PushSubscriptions } from "./subscriptions.ts";

/** web-push (with the ASN.1, JWS and https modules it loads) is read on the first push, not at every start. */
let webPush: Promise<typeof WebPush> | null = null;
const loadWebPush = () => (webPush ??= import("web-push").then((module) => module.default));

/** The outbox kind of one push to one device. */
export const PUSH_SEND = "push.send";
/** A push service that has not answered by then is tried again later. */
const PUSH_TIMEOUT_MS = 10 * SECOND_MS;

type DeliveryStatus = (typeof pushDeliveries.$inferInsert)["status"];

/** A push service's error, in words that name neither the endpoint nor a key. */
class PushServiceError extends Error {
  override readonly name = "PushServiceError";
}

/**
 * Delivers `push.send` items: the message encrypted for the device (RFC 8291, aes128gcm) and
 * signed for the push service (VAPID, RFC 8292) by `web-push`, then POSTed here with our own
 * timeout and the outbox's abort signal. Every attempt is logged in `push_deliveries`. A 404 or
 * 410 means the subscription is gone: it is deleted and the item dropped. A 429 waits for its
 * `Retry-After`; a 5xx or no answer is retried with the outbox's backoff; any other refusal is final.
 */
export function pushSendHandler(deps: { db: Db; subscriptions: PushSubscriptions; vapid: Config["vapid"] }): OutboxHandler<PushSendPayload> {
  const { db, subscriptions, vapid } = deps;
  const record = (userId: string, payload: PushSendPayload, subscriptionId: number | null, status: DeliveryStatus, details: { httpStatus?: number; latencyMs?: number; error?: string }) =>
    db
      .insert(pushDeliveries)
      .values({
        userId,
        subscriptionId,
        kind: payload.message.kind,
        tipId: payload.message.tipId ?? null,
        status,
        httpStatus: details.httpStatus ?? null,
        latencyMs: details.latencyMs ?? null,
        error: details.error ?? null,
        at: Date.now(),
      })
      .run();

  return {
    async deliver(item, context): Promise<DeliveryOutcome> {
      const { payload } = item;
      const subscription = subscriptions.get(payload.subscriptionId);
      if (!subscription) {
        record(item.userId, payload, null, "failed", { error: "the subscription is gone" });
        return { dropped: "the subscription is gone" };
      }
      const webpush = await loadWebPush();
      let request: ReturnType<typeof webpush.generateRequestDetails>;
      try {
        request = webpush.generateRequestDetails(
          { endpoint: subscription.endpoint, keys: { p256dh: subscription.p256dhSecret, auth: subscription.authSecret } },
          JSON.stringify(payload.message),
          {
            vapidDetails: { subject: vapid.subject, publicKey: vapid.publicKey, privateKey: vapid.privateKey },
            TTL: payload.ttl,
            urgency: payload.urgency,
            topic: payload.topic,
          },
        );
      } catch {
        // Keys the browser gave that do not encrypt (or VAPID keys that do not sign): trying again changes nothing.
        record(item.userId, payload, subscription.id, "failed", { error: "the push could not be encrypted or signed" });
        return { dropped: "the push could not be encrypted or signed" };
      }
      const started = performance.now();
      let response: Response;
      try {
        response = await fetch(request.endpoint, {
          method: request.method,
          headers: request.headers as Record<string, string>,
          body: request.body === null ? null : new Uint8Array(request.body),
          signal: AbortSignal.any([context.signal, AbortSignal.timeout(PUSH_TIMEOUT_MS)]),
          redirect: "error",
        });
      } catch (error) {
        const reason = (error as Error).name === "TimeoutError" ? "the push service did not answer in time" : "the push service could not be reached";
        record(item.userId, payload, subscription.id, "retry", { latencyMs: performance.now() - started, error: reason });
        throw new PushServiceError(reason);
      }
      // The body is the service's own words; nothing of it is needed beyond the status.
      await response.body?.cancel();
      const details = { httpStatus: response.status, latencyMs: performance.now() - started };
      if (response.ok) {
        record(item.userId, payload, subscription.id, "sent", details);
        return "delivered";
      }
      if (response.status === 404 || response.status === 410) {
        subscriptions.prune(subscription.id);
        record(item.userId, payload, null, "pruned", { ...details, error: `the subscription is gone (${response.status})` });
        return { dropped: `the subscription is gone (${response.status})` };
      }
      if (response.status === 429) {
        const wait = retryAfterMs(response.headers.get("retry-after"));
        record(item.userId, payload, subscription.id, "retry", { ...details, error: "rate limited by the push service" });
        if (wait !== null) throw new RetryLater("rate limited by the push service", wait);
        throw new PushServiceError("rate limited by the push service");
      }
      if (response.status >= 500) {
        record(item.userId, payload, subscription.id, "retry", { ...details, error: `the push service failed (${response.status})` });
        throw new PushServiceError(`the push service failed (${response.status})`);
      }
      record(item.userId, payload, subscription.id, "failed", { ...details, error: `the push service refused it (${response.status})` });
      return { dropped: `the push service refused it (${response.status})` };
    },
    // Only this handler's own messages are stored: a library error could quote the endpoint.
    describe: (error) => (error instanceof PushServiceError || error instanceof RetryLater ? error.message : "unexpected error (see the server log)"),
  };
}
