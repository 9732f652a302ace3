import { type Static, Type } from "@sinclair/typebox";

/**
 * The closed set of subjects and their payloads. A subject names what happened, in the past
 * tense; the payload carries ids and counts, never secrets or free text from providers.
 */
export const subjects = {
  "signals.task.synced": Type.Object({
    provider: Type.String(),
    total: Type.Integer({ minimum: 0 }),
    added: Type.Integer({ minimum: 0 }),
    updated: Type.Integer({ minimum: 0 }),
    removed: Type.Integer({ minimum: 0 }),
  }),
  /** Which tip was served, and where: the tip's row (`tip_views`) holds the decision. */
  "signals.tip.served": Type.Object({
    tipId: Type.String(),
    /** Served on the page (or the API), or as a web push; events from before channels were kept have none. */
    channel: Type.Optional(Type.Union([Type.Literal("page"), Type.Literal("push")])),
  }),
  "signals.tip.feedback": Type.Object({
    tipId: Type.String(),
    action: Type.String(),
    reward: Type.Number(),
    source: Type.String(),
  }),
  /** A reaction taken back by the person within the undo window; its reward leaves the bandit. */
  "signals.tip.undone": Type.Object({
    tipId: Type.String(),
    action: Type.String(),
    source: Type.String(),
  }),
  "signals.integration.changed": Type.Object({
    provider: Type.String(),
    status: Type.Union([Type.Literal("connected"), Type.Literal("disconnected"), Type.Literal("needs_reconnect")]),
  }),
  /** Someone signed in (the event's user), and how. */
  "account.signed_in": Type.Object({
    method: Type.Union([Type.Literal("google"), Type.Literal("admin_token"), Type.Literal("setup")]),
    role: Type.Union([Type.Literal("user"), Type.Literal("admin")]),
  }),
  /** An admin acted on a person from the console (the event's user is the admin). */
  "admin.action": Type.Object({
    action: Type.String(),
    targetId: Type.String(),
    result: Type.Union([Type.Literal("ok"), Type.Literal("failed")]),
  }),
  /** An account was erased; the id is all that is said about it (as in `user_tombstones`). */
  "account.deleted": Type.Object({ userId: Type.String() }),
};

export type Subject = keyof typeof subjects;
export type Payload<S extends Subject> = Static<(typeof subjects)[S]>;
