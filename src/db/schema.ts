import { sql } from "drizzle-orm";
import { blob, index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** Times are integer milliseconds since the epoch, UTC. */

/** Instance-wide settings and markers (schema version notes, feature flags). */
export const meta = sqliteTable("meta", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/** The durable signal store: every event published on the bus. */
export const events = sqliteTable(
  "events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    subject: text("subject").notNull(),
    userId: text("user_id"),
    payload: text("payload").notNull(),
    at: integer("at").notNull(),
    /** The tip an event is about (tip events carry it in their payload); computed, not stored. */
    tipId: text("tip_id").generatedAlwaysAs(sql`json_extract(payload, '$.tipId')`, { mode: "virtual" }),
  },
  // A served tip is announced, not stored here: its `tip_views` row is its record (one row and its
  // indexes per recommendation instead of two).
  // The console pages through a subject's or a person's events newest first, by id; retention
  // forgets a subject's events by time.
  (table) => [
    index("events_at_idx").on(table.at),
    index("events_user_id_idx").on(table.userId, table.id),
    index("events_subject_id_idx").on(table.subject, table.id),
    index("events_subject_at_idx").on(table.subject, table.at),
  ],
);

// ─── People, sign-in and privacy ────────────────────────────────────────────

export const users = sqliteTable(
  "users",
  {
    id: text("id").primaryKey(),
    email: text("email"),
    name: text("name"),
    role: text("role", { enum: ["user", "admin"] }).notNull().default("user"),
    /** IANA zone; taken from the browser on the first visit until the user sets one. */
    timezone: text("timezone").notNull().default("UTC"),
    timezoneConfirmed: integer("timezone_confirmed", { mode: "boolean" }).notNull().default(false),
    quietHoursStart: text("quiet_hours_start").notNull().default("22:00"),
    quietHoursEnd: text("quiet_hours_end").notNull().default("08:00"),
    pushOptIn: integer("push_opt_in", { mode: "boolean" }).notNull().default(false),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  // The console lists people newest first, a page at a time.
  (table) => [index("users_created_idx").on(table.createdAt, table.id)],
);

/** A sign-in provider's account linked to a user, identified by the provider's stable subject (`sub`). */
export const identities = sqliteTable(
  "identities",
  {
    provider: text("provider").notNull(),
    subject: text("subject").notNull(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    email: text("email"),
    /** AES-256-GCM ciphertext of the provider token kept only to revoke it on account deletion. */
    tokenCiphertext: text("token_ciphertext"),
    createdAt: integer("created_at").notNull(),
    lastSignInAt: integer("last_sign_in_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.provider, table.subject] }), index("identities_user_idx").on(table.userId)],
);

/** Sessions are stored by the SHA-256 of their cookie token; the token itself never is. */
export const sessions = sqliteTable(
  "sessions",
  {
    tokenHash: text("token_hash").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    kind: text("kind", { enum: ["user", "admin_token", "setup"] }).notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    lastSeenAt: integer("last_seen_at").notNull(),
    userAgent: text("user_agent"),
  },
  (table) => [index("sessions_user_idx").on(table.userId), index("sessions_expires_idx").on(table.expiresAt)],
);

/** One-time owner setup links, stored hashed. */
export const setupTokens = sqliteTable("setup_tokens", {
  tokenHash: text("token_hash").primaryKey(),
  createdAt: integer("created_at").notNull(),
  expiresAt: integer("expires_at").notNull(),
  usedAt: integer("used_at"),
});

export const consents = sqliteTable(
  "consents",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    kind: text("kind").notNull(),
    version: text("version").notNull(),
    method: text("method").notNull(),
    grantedAt: integer("granted_at").notNull(),
  },
  (table) => [index("consents_user_idx").on(table.userId)],
);

/** What remains of a deleted account: the id and when, nothing personal. */
export const userTombstones = sqliteTable("user_tombstones", {
  id: text("id").primaryKey(),
  deletedAt: integer("deleted_at").notNull(),
});

// ─── Integrations and signals ───────────────────────────────────────────────

export const integrations = sqliteTable(
  "integrations",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    provider: text("provider").notNull(),
    status: text("status", { enum: ["connected", "needs_reconnect"] }).notNull(),
    externalUserId: text("external_user_id"),
    accessTokenCiphertext: text("access_token_ciphertext").notNull(),
    refreshTokenCiphertext: text("refresh_token_ciphertext"),
    accessTokenExpiresAt: integer("access_token_expires_at"),
    scope: text("scope"),
    lastSyncAt: integer("last_sync_at"),
    lastSyncError: text("last_sync_error"),
    taskCount: integer("task_count").notNull().default(0),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (table) => [
    uniqueIndex("integrations_user_provider_idx").on(table.userId, table.provider),
    index("integrations_provider_external_idx").on(table.provider, table.externalUserId),
    // The console's failing syncs, newest first: few rows, so a partial index.
    index("integrations_failing_idx").on(table.updatedAt).where(sql`${table.lastSyncError} IS NOT NULL`),
  ],
);

/** Tasks synced from a provider: only the fields the recommender needs. */
export const tasks = sqliteTable(
  "tasks",
  {
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    provider: text("provider").notNull(),
    externalId: text("external_id").notNull(),
    content: text("content").notNull(),
    description: text("description").notNull().default(""),
    priority: integer("priority").notNull().default(1),
    /** "date" (all-day), "floating" (local wall time), "instant" (fixed UTC time); null when undated. */
    dueKind: text("due_kind", { enum: ["date", "floating", "instant"] }),
    dueValue: text("due_value"),
    dueTimezone: text("due_timezone"),
    dueIsRecurring: integer("due_is_recurring", { mode: "boolean" }).notNull().default(false),
    dueString: text("due_string"),
    deadlineDate: text("deadline_date"),
    durationMinutes: integer("duration_minutes"),
    labels: text("labels", { mode: "json" }).$type<string[]>().notNull().default([]),
    projectId: text("project_id"),
    addedAt: integer("added_at"),
    updatedAt: integer("updated_at"),
    syncedAt: integer("synced_at").notNull(),
  },
  // The partial index answers the console's "tasks of unknown age" without reading every task.
  (table) => [
    primaryKey({ columns: [table.userId, table.provider, table.externalId] }),
    index("tasks_without_added_idx").on(table.userId).where(sql`${table.addedAt} IS NULL`),
  ],
);

/** Completions and other writes to providers, retried until they land (survives restarts). */
export const outbox = sqliteTable(
  "outbox",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    kind: text("kind").notNull(),
    payload: text("payload", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at").notNull(),
    lastError: text("last_error"),
    createdAt: integer("created_at").notNull(),
    doneAt: integer("done_at"),
  },
  (table) => [index("outbox_pending_idx").on(table.doneAt, table.nextAttemptAt), index("outbox_user_idx").on(table.userId)],
);

/** Webhook deliveries already handled, so provider retries are not applied twice. */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    provider: text("provider").notNull(),
    deliveryId: text("delivery_id").notNull(),
    receivedAt: integer("received_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.provider, table.deliveryId] }), index("webhook_deliveries_received_idx").on(table.receivedAt)],
);

// ─── Recommender ────────────────────────────────────────────────────────────

/** The curated advice library (seeded by migrations; read-only at run time). */
export const advice = sqliteTable("advice", {
  id: text("id").primaryKey(),
  content: text("content").notNull(),
  category: text("category").notNull(),
  /** Hints for when the advice fits: morning, afternoon, evening, night or any. */
  timeOfDay: text("time_of_day", { enum: ["morning", "afternoon", "evening", "night", "any"] }).notNull().default("any"),
  dayKind: text("day_kind", { enum: ["weekday", "weekend", "any"] }).notNull().default("any"),
  priority: integer("priority").notNull().default(2),
  active: integer("active", { mode: "boolean" }).notNull().default(true),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/** Tips generated in the background by the LLM, waiting to be considered. */
export const tipCandidates = sqliteTable(
  "tip_candidates",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    kind: text("kind", { enum: ["todo", "advice"] }).notNull(),
    content: text("content").notNull(),
    promptVersion: text("prompt_version"),
    llmModel: text("llm_model"),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at"),
  },
  (table) => [index("tip_candidates_user_idx").on(table.userId, table.createdAt)],
);

/**
 * Per-user visibility of a candidate. `hiddenUntil` covers snooze, dismiss and cool-downs;
 * `doneAt` hides a task until the provider changes it again (a recurring task rolls forward).
 */
export const candidateStates = sqliteTable(
  "candidate_states",
  {
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    candidateKey: text("candidate_key").notNull(),
    hiddenUntil: integer("hidden_until"),
    doneAt: integer("done_at"),
    lastAction: text("last_action"),
    updatedAt: integer("updated_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.userId, table.candidateKey] })],
);

/** A tip shown to a user; ids are UUIDv7 (time-ordered). */
export const tipViews = sqliteTable(
  "tip_views",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    candidateKey: text("candidate_key").notNull(),
    kind: text("kind", { enum: ["todo", "advice"] }).notNull(),
    source: text("source").notNull(),
    content: text("content").notNull(),
    why: text("why").notNull(),
    policy: text("policy").notNull(),
    /**
     * The keys of every candidate considered, in the order of `scores`: only in decisions logged
     * before `decision_candidates` (their context is format 1).
     */
    candidates: text("candidates", { mode: "json" }).$type<string[]>(),
    /**
     * The local clock and every candidate considered, as references into the person's
     * `decision_candidates` (formats 2–4; format 1 held the candidates' makings inline): enough to
     * rebuild any feature version's vectors (src/recommender/context.ts). Null before it was kept.
     */
    context: blob("context", { mode: "buffer" }),
    servedAt: integer("served_at").notNull(),
    /** Where it was served: on the tip page (or the API), or as a web push. */
    channel: text("channel", { enum: ["page", "push"] }).notNull().default("page"),
    /** Set by the first feedback; a tip that was acted on is not shown again (unless its reaction is undone). */
    actedAt: integer("acted_at"),
    /** When an undo brought this tip back on screen: it is the current tip again, ahead of any served since. */
    restoredAt: integer("restored_at"),
    // The decision, for explanation and off-policy evaluation: the serving policy's (`policy`) side
    // and each shadow's pick. Null only in tips served before decisions were logged.
    /** The serving policy's version and parameters (`policy_versions`). */
    policyVersionId: integer("policy_version_id"),
    /** The exact probability that the serving policy picked this candidate. */
    propensity: real("propensity"),
    /** ok, or why the heuristic stood in for the serving policy (timeout, down…). */
    scorerStatus: text("scorer_status"),
    latencyMs: real("latency_ms"),
    /** The feature version (ml/features.json) the serving policy scored in. */
    featureVersion: text("feature_version"),
    promptVersion: text("prompt_version"),
    llmModel: text("llm_model"),
    /** Each shadow policy's pick: [its version's id in `policy_versions`, the candidate's key]. */
    shadows: text("shadows", { mode: "json" }).$type<[number, string][]>(),
    /** The served candidate's vector, only in decisions logged before contexts: it is rebuilt from the context since. */
    features: text("features", { mode: "json" }).$type<number[]>(),
    /**
     * The serving policy's score of every candidate, in the context's order, packed as float32
     * (src/recommender/context.ts; JSON numbers in decisions logged before). Last, so reading a
     * tip's other columns never reaches into it.
     */
    scores: blob("scores", { mode: "buffer" }),
  },
  // Written on every recommendation: each index costs a page per commit, so only these two, and a
  // partial one that a new tip (never restored) does not touch.
  (table) => [
    index("tip_views_user_served_idx").on(table.userId, table.servedAt),
    index("tip_views_served_idx").on(table.servedAt),
    index("tip_views_user_restored_idx").on(table.userId, table.restoredAt).where(sql`${table.restoredAt} IS NOT NULL`),
  ],
);

/** Every policy version (code and parameters) a decision was made with, once: decisions keep the id. */
export const policyVersions = sqliteTable("policy_versions", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  policy: text("policy").notNull(),
  version: text("version").notNull().unique(),
  createdAt: integer("created_at").notNull(),
});

/**
 * What a person's decisions considered, each candidate once per version of its makings (kind,
 * source, category, priority, due and added dates) and referenced from `tip_views.context` by `ref`:
 * a decision logs a few bytes for its candidates instead of their keys and makings. Written when a candidate
 * is first considered or has changed, and again after half the retention period, so rows older
 * than one and a half retention periods are referenced by no decision left.
 */
export const decisionCandidates = sqliteTable(
  "decision_candidates",
  {
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    ref: integer("ref").notNull(),
    candidateKey: text("candidate_key").notNull(),
    makings: blob("makings", { mode: "buffer" }).notNull(),
    createdAt: integer("created_at").notNull(),
  },
  // WITHOUT ROWID (migration 0017, which drizzle-kit cannot declare: a rebuild it generates must keep
  // it): the rows are the key's b-tree, with no second index to write. The purge walks people.
  (table) => [primaryKey({ columns: [table.userId, table.ref] })],
);

export const tipFeedback = sqliteTable(
  "tip_feedback",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    tipId: text("tip_id").notNull(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** A person's reaction, or "ignored": none came within the window (source "system"; a later reaction replaces it). */
    action: text("action", { enum: ["done", "dismiss", "snooze", "helpful", "not_helpful", "ignored"] }).notNull(),
    reward: real("reward").notNull(),
    source: text("source").notNull(),
    at: integer("at").notNull(),
    /**
     * When the reward was settled with the bandit: applied, or dropped (no context left to learn
     * from, refused by the scorer, or wiped by an admin's reset); null while the scorer was
     * unavailable (a job retries).
     */
    banditAppliedAt: integer("bandit_applied_at"),
    /** The candidate's visibility before this reaction (null: it had none), which an undo puts back. */
    priorState: text("prior_state", { mode: "json" }).$type<{ hiddenUntil: number | null; doneAt: number | null; lastAction: string | null }>(),
    /** When the person undid this reaction: the row stays as the audit trail, and the tip may be answered again. */
    undoneAt: integer("undone_at"),
    /** When the undo took this reward back out of the bandit, or an admin's reset did (null if it had not reached it). */
    banditRevertedAt: integer("bandit_reverted_at"),
  },
  (table) => [
    index("tip_feedback_unapplied_idx").on(table.banditAppliedAt),
    // Undone reactions whose reward the bandit has not given back yet: few, found by the backlog job.
    index("tip_feedback_unreverted_idx").on(table.id).where(sql`${table.undoneAt} IS NOT NULL AND ${table.banditRevertedAt} IS NULL`),
    // One standing reaction per tip: it is the reward of that one logged decision; undone ones stay as history.
    uniqueIndex("tip_feedback_tip_idx").on(table.tipId).where(sql`${table.undoneAt} IS NULL`),
    index("tip_feedback_user_at_idx").on(table.userId, table.at),
    index("tip_feedback_at_idx").on(table.at),
  ],
);

/** Per-user bandit state, owned by the Bun side and sent to the stateless scorer. */
export const banditStates = sqliteTable(
  "bandit_states",
  {
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    policy: text("policy").notNull(),
    state: text("state", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    pulls: integer("pulls").notNull().default(0),
    rewardSum: real("reward_sum").notNull().default(0),
    version: integer("version").notNull().default(0),
    /** The feature version (ml/features.json) the model's dimensions mean; models learnt before versions were kept are f1. */
    featureVersion: text("feature_version").notNull().default("f1"),
    updatedAt: integer("updated_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.userId, table.policy] })],
);

/** A browser's web push subscription: one per device (endpoint), several per person. */
export const pushSubscriptions = sqliteTable(
  "push_subscriptions",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** The push service's URL for this device; whoever holds it can send to it, so it is never logged. */
    endpoint: text("endpoint").notNull(),
    /** The browser's P-256 public key and auth secret (base64url), the payload's encryption keys; withheld from the export. */
    p256dhSecret: text("p256dh_secret").notNull(),
    authSecret: text("auth_secret").notNull(),
    /** When the push service says the subscription ends (null: no end given). */
    expiresAt: integer("expires_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (table) => [uniqueIndex("push_subscriptions_endpoint_idx").on(table.endpoint), index("push_subscriptions_user_idx").on(table.userId)],
);

/** Every attempt to deliver a push: what the console's delivery stats are made of. */
export const pushDeliveries = sqliteTable(
  "push_deliveries",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** Null once the subscription is gone (pruned or unsubscribed). */
    subscriptionId: integer("subscription_id").references(() => pushSubscriptions.id, { onDelete: "set null" }),
    /** "test", or "tip" with the tip it carried. */
    kind: text("kind", { enum: ["test", "tip"] }).notNull(),
    tipId: text("tip_id"),
    /** sent: the push service took it; retry: it will be tried again; failed: it never will; pruned: the subscription was gone (404/410) and is deleted. */
    status: text("status", { enum: ["sent", "retry", "failed", "pruned"] }).notNull(),
    httpStatus: integer("http_status"),
    latencyMs: real("latency_ms"),
    /** What went wrong, in words that name no endpoint or key. */
    error: text("error"),
    at: integer("at").notNull(),
  },
  (table) => [index("push_deliveries_at_idx").on(table.at), index("push_deliveries_user_at_idx").on(table.userId, table.at)],
);

// ─── Admin console ──────────────────────────────────────────────────────────

/**
 * What admins did and when they signed in: who, what, to whom, when and how it went. Not tied to
 * the accounts it names (no foreign key): the trail outlives them, holding ids only. Kept for
 * `admin.auditRetentionDays`, longer than tips.
 */
export const auditLog = sqliteTable(
  "audit_log",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    at: integer("at").notNull(),
    actorId: text("actor_id"),
    action: text("action").notNull(),
    targetId: text("target_id"),
    result: text("result", { enum: ["ok", "failed"] }).notNull(),
    /** What it did or why it failed, in words that hold no secret. */
    detail: text("detail").notNull(),
  },
  (table) => [index("audit_log_action_idx").on(table.action, table.id), index("audit_log_target_idx").on(table.targetId, table.id), index("audit_log_at_idx").on(table.at)],
);

/** An admin's saved SQL runner queries; they go with the admin's account. */
export const savedQueries = sqliteTable(
  "saved_queries",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    /** The admin who saved it. */
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    sql: text("sql").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (table) => [index("saved_queries_user_idx").on(table.userId, table.name)],
);
