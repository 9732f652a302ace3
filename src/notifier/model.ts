import { Type } from "@sinclair/typebox";
import { t } from "elysia";

const base64url = (what: string) => t.String({ minLength: 1, maxLength: 200, pattern: "^[A-Za-z0-9_-]+={0,2}$", error: `${what} must be base64url` });

/** A browser's `PushSubscription.toJSON()`, as `POST /api/push/subscribe` takes it. */
export const SubscribeBody = t.Object({
  endpoint: t.String({ minLength: 1, maxLength: 2048 }),
  keys: t.Object({ p256dh: base64url("keys.p256dh"), auth: base64url("keys.auth") }, { additionalProperties: false }),
  expirationTime: t.Optional(t.Union([t.Number({ minimum: 0 }), t.Null()])),
});
export type Subscription = typeof SubscribeBody.static;

export const UnsubscribeBody = t.Object({ endpoint: t.String({ minLength: 1, maxLength: 2048 }) });

export const PushKeyResponse = t.Object({ publicKey: t.String() });
export const SubscribeResponse = t.Object({ ok: t.Literal(true), devices: t.Number() });
export const UnsubscribeResponse = t.Object({ ok: t.Literal(true), removed: t.Boolean(), devices: t.Number() });
export const TestPushResponse = t.Object({ ok: t.Literal(true), queued: t.Number() });

/** What a notification carries to the service worker (≤ 1 KB once encrypted). */
export interface PushMessage {
  kind: "test" | "tip";
  text: string;
  tipId?: string;
  /** The actions the notification offers (feedback posted straight from the service worker). */
  actions?: ("done" | "snooze")[];
}

/** The outbox item of one push to one device. */
export interface PushSendPayload extends Record<string, unknown> {
  subscriptionId: number;
  message: PushMessage;
  /** Seconds the push service keeps it for an offline device. */
  ttl: number;
  urgency: "very-low" | "low" | "normal" | "high";
  /** Replaces an unread notification with the same topic (≤ 32 URL-safe characters). */
  topic: string;
}

/** How the notifier decides, the `notifier.*` settings admins change on the console's Settings page without a restart. */
export const NotifierSettingsSchema = t.Object({
  roundMinutes: Type.Integer({ minimum: 1, maximum: 60, default: 5, title: "Round every (minutes)", description: "How often the notifier looks for a tip worth a push." }),
  scoreThreshold: t.Number({
    minimum: -10,
    maximum: 10,
    default: 0.8,
    title: "Worth a push from score",
    description: "A LinUCB pick scoring at least this is worth a push (besides urgent tasks due within the hour).",
  }),
  dailyCap: Type.Integer({ minimum: 0, maximum: 24, default: 3, title: "Pushes a day, at most", description: "Per person and local day; 0 sends none." }),
});

/** Why a round sent a person nothing, one of these; counted per round. */
export const SKIP_REASONS = ["no_device", "quiet_hours", "page_open", "daily_cap", "nothing_waiting", "not_worth", "duplicate", "failed"] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export interface RoundResult {
  at: number;
  considered: number;
  sent: number;
  skipped: Record<SkipReason, number>;
}
