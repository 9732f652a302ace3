import { t } from "elysia";

export const FEEDBACK_ACTIONS = ["done", "dismiss", "snooze", "helpful", "not_helpful"] as const;

// Not t.UnionEnum: it fills a missing value with the first member, which would turn an empty
// request into "done".
export const FeedbackActionSchema = t.Union(
  FEEDBACK_ACTIONS.map((action) => t.Literal(action)),
  { error: `action must be one of: ${FEEDBACK_ACTIONS.join(", ")}` },
);
export type FeedbackAction = typeof FeedbackActionSchema.static;
/** What a tip's decision is rewarded for: a person's reaction, or none within the window ("ignored", recorded by the system). */
export type RewardedAction = FeedbackAction | "ignored";
export const IGNORED = "ignored" satisfies RewardedAction;

export const FeedbackBody = t.Object({ action: FeedbackActionSchema });
export const TipParams = t.Object({ id: t.String({ minLength: 1, maxLength: 64 }) });

export const FeedbackResponse = t.Object({
  ok: t.Literal(true),
  /** The tip already had its reaction (a repeat, or a second form sent from an old page); nothing changed. */
  duplicate: t.Boolean(),
});
export type FeedbackResult = typeof FeedbackResponse.static;

export const UndoResponse = t.Object({
  ok: t.Literal(true),
  /** The reaction was undone already (a repeat); nothing changed. */
  duplicate: t.Boolean(),
});
export type UndoResult = typeof UndoResponse.static;

export const TipKindSchema = t.Union([t.Literal("todo"), t.Literal("advice")]);
export type TipKind = typeof TipKindSchema.static;

export const TipSchema = t.Object({
  id: t.String(),
  kind: TipKindSchema,
  content: t.String(),
  source: t.String(),
  why: t.String(),
});
export type Tip = typeof TipSchema.static;

/** The one-line notices the tip page can carry after a redirect (`/?notice=…`); the query only ever picks one. */
export const TIP_NOTICES = {
  answered: "That tip was already answered, on another device or tab.",
  "undo-late": "Too late to undo that.",
} as const;
export type TipNotice = keyof typeof TIP_NOTICES;
/** `notice`: one of TIP_NOTICES; `tip`: the tip a notification carried, shown if it still stands. */
export const TipPageQuery = t.Object({ notice: t.Optional(t.String({ maxLength: 32 })), tip: t.Optional(t.String({ maxLength: 64 })) });

export const RecommendResponse = t.Object({ tip: TipSchema });

/** The person's latest reaction while it can be undone: the tip it answered, what it was, until when. */
export const UndoOfferSchema = t.Object({ tipId: t.String(), action: FeedbackActionSchema, until: t.Number() });
export type UndoOffer = typeof UndoOfferSchema.static;

/** What the tip page shows: the tip, the undo of the last action, and, with nothing to suggest, what comes next. */
export const TipScreenSchema = t.Object({
  tip: TipSchema,
  undo: t.Union([UndoOfferSchema, t.Null()]),
  /**
   * Set when nothing is waiting: when a tip is likely next (local time, "07:10", and the instant, so
   * an open page can look again then), and whether to offer connecting Todoist.
   */
  empty: t.Union([t.Object({ nextAt: t.Union([t.String(), t.Null()]), nextAtMs: t.Union([t.Number(), t.Null()]), connect: t.Boolean() }), t.Null()]),
  /** One quiet line in place of the undo (an action that was already answered elsewhere, an undo too late). */
  notice: t.Union([t.String(), t.Null()]),
  /** The person has never reacted to a tip: the page says the tip can be tapped. */
  firstRun: t.Boolean(),
});
export type TipScreen = typeof TipScreenSchema.static;

export const PolicyNameSchema = t.Union([t.Literal("linucb"), t.Literal("heuristic"), t.Literal("random")]);
export type PolicyName = typeof PolicyNameSchema.static;

/**
 * How the recommender behaves: the `recommender.*` settings, which admins change on the console's
 * Settings page without a restart (each title and description is what that page shows).
 */
export const RecommenderSettingsSchema = t.Object({
  servingPolicy: t.Union(PolicyNameSchema.anyOf, { default: "linucb", title: "Serving policy", description: "The policy whose pick people see." }),
  shadowPolicies: t.Array(PolicyNameSchema, {
    default: ["heuristic"],
    uniqueItems: true,
    title: "Shadow policies",
    description: "Policies that score every decision and log their pick without serving it, so off-policy evaluation can compare them.",
  }),
  epsilon: t.Number({
    minimum: 0,
    maximum: 1,
    default: 0.1,
    title: "Exploration (ε)",
    description: "How often the serving pick explores: LinUCB then takes the heuristic's pick or one at random, half and half; the heuristic, one at random.",
  }),
  alpha: t.Number({
    minimum: 0,
    maximum: 100,
    default: 0.3,
    title: "LinUCB bonus (α)",
    description: "The weight of LinUCB's bonus for what it knows little about (0.3 does best in the simulator).",
  }),
  snoozeHours: t.Number({ exclusiveMinimum: 0, maximum: 24 * 14, default: 3, title: "Snooze (hours)", description: "How long a snoozed tip stays away." }),
  /** A done is the strongest signal; an advice can be done too (a "done" on an advice is worth a done). */
  rewards: t.Object(
    {
      done: t.Number({ minimum: -1, maximum: 1, default: 1, title: "Done" }),
      snooze: t.Number({ minimum: -1, maximum: 1, default: 0, title: "Snooze" }),
      dismiss: t.Number({ minimum: -1, maximum: 1, default: -1, title: "Dismiss" }),
      helpful: t.Number({ minimum: -1, maximum: 1, default: 0.5, title: "Helpful" }),
      not_helpful: t.Number({ minimum: -1, maximum: 1, default: -0.5, title: "Not helpful" }),
    },
    {
      additionalProperties: false,
      default: { done: 1, snooze: 0, dismiss: -1, helpful: 0.5, not_helpful: -0.5 },
      title: "Rewards",
      description: "What each reaction teaches the bandit, from −1 to 1. A reward is fixed when the reaction is recorded.",
    },
  ),
  ignoredAfterHours: t.Number({
    minimum: 0,
    maximum: 24 * 14,
    default: 24,
    title: "No reaction after (hours)",
    description: "A tip nobody reacts to within this many hours counts as a weak negative; 0 turns it off. A reaction that comes later replaces it.",
  }),
  ignoredReward: t.Number({ minimum: -1, maximum: 0, default: -0.05, title: "No reaction's reward", description: "The weak negative of a tip nobody reacted to." }),
  stabilityMinutes: t.Number({
    minimum: 0,
    maximum: 24 * 60,
    default: 10,
    title: "Same tip on reload (minutes)",
    description: "A page reload within this window shows the same tip unless it was acted on.",
  }),
});
export type RecommenderSettings = typeof RecommenderSettingsSchema.static;
