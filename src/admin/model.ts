import { type TObject, type TSchema, Type } from "@sinclair/typebox";
import { t } from "elysia";

const Count = Type.Integer({ minimum: 0 });

/** A whole number in a query or path (Elysia turns the text into a number first), with an error that names it. */
const wholeNumber = (name: string, minimum: number, maximum?: number) =>
  t.Number({
    minimum,
    ...(maximum === undefined ? {} : { maximum }),
    multipleOf: 1,
    error: `${name} must be a whole number ${maximum === undefined ? `of at least ${minimum}` : `from ${minimum} to ${maximum}`}.`,
  });


/** `GET /api/admin/stats` and the overview page: the same figures. */
export const StatsSchema = t.Object({
  /** People who opened oO (served a tip or the all-clear line) in the last day, week and 30 days. */
  active: t.Object({ day: Count, week: Count, month: Count }),
  tipsServed: Count,
  /** Standing reactions of the 30 days, by action ("ignored" is the system's weak negative). */
  reactions: t.Record(t.String(), Count),
  /** The share of tips served that someone reacted to (ignored ones not counted), 0 with none served. */
  reactionRate: t.Number({ minimum: 0 }),
  days: t.Array(t.Object({ day: t.String(), tips: Count, reactions: t.Record(t.String(), Count) })),
});
export type Stats = typeof StatsSchema.static;

const Cursor = t.String({ maxLength: 200, pattern: "^[A-Za-z0-9_-]+$" });

/** `GET /api/admin/users` and `/admin/users`: a search (id, or part of an email or name) and a page after a cursor. */
export const UsersQuery = t.Object({
  q: t.Optional(t.String({ maxLength: 200 })),
  after: t.Optional(Cursor),
  limit: t.Optional(wholeNumber("limit", 1, 100)),
});

const Listing = t.Object({
  id: t.String(),
  email: t.Union([t.String(), t.Null()]),
  name: t.Union([t.String(), t.Null()]),
  role: t.Union([t.Literal("user"), t.Literal("admin")]),
  createdAt: Type.Integer(),
});

export const UserListSchema = t.Object({
  users: t.Array(Listing),
  /** The cursor of the next page; null on the last. */
  next: t.Union([Cursor, t.Null()]),
});
export type UserList = typeof UserListSchema.static;

const Nullable = <T extends TSchema>(schema: T) => t.Union([schema, t.Null()]);

export const UserDetailSchema = t.Object({
  profile: t.Object({
    id: t.String(),
    email: Nullable(t.String()),
    name: Nullable(t.String()),
    role: t.Union([t.Literal("user"), t.Literal("admin")]),
    timezone: t.String(),
    pushOptIn: t.Boolean(),
  }),
  consents: t.Array(t.Object({ kind: t.String(), version: t.String(), method: t.String(), grantedAt: Type.Integer() })),
  integrations: t.Array(
    t.Object({ provider: t.String(), status: t.String(), lastSyncAt: Nullable(Type.Integer()), lastSyncError: Nullable(t.String()), taskCount: Type.Integer() }),
  ),
  sessions: t.Array(t.Object({ kind: t.String(), createdAt: Type.Integer(), lastSeenAt: Type.Integer(), expiresAt: Type.Integer(), userAgent: Nullable(t.String()) })),
  tips: t.Array(
    t.Object({ id: t.String(), kind: t.String(), content: t.String(), servedAt: Type.Integer(), channel: t.String(), reaction: Nullable(t.String()) }),
  ),
  /** Whether the recommender holds a learnt model for them (what "reset-bandit" clears). */
  learnt: t.Object({ pulls: Type.Integer({ minimum: 0 }) }),
});
export type UserDetail = typeof UserDetailSchema.static;

export const USER_ACTIONS = ["end-sessions", "reset-bandit", "sync-now", "revoke-integration", "delete"] as const;
export type UserAction = (typeof USER_ACTIONS)[number];

// Not t.UnionEnum, which fills a missing action with the first one (see recommender/model.ts).
const UserActionName = t.Union(USER_ACTIONS.map((action) => t.Literal(action)));
export const UserActionBody = t.Object({ action: UserActionName });
/** The page's form: without `confirm` the console asks first. */
export const UserActionForm = t.Object({ action: UserActionName, confirm: t.Optional(t.Literal("yes")) });
export const ActionResultSchema = t.Object({ ok: t.Literal(true), message: t.String() });

export const AuditQuery = t.Object({
  action: t.Optional(t.String({ maxLength: 60, pattern: "^[a-z.-]+$" })),
  target: t.Optional(t.String({ maxLength: 100 })),
  before: t.Optional(wholeNumber("before", 1)),
  limit: t.Optional(wholeNumber("limit", 1, 100)),
});

export const AuditListSchema = t.Object({
  entries: t.Array(
    t.Object({
      id: Type.Integer(),
      at: Type.Integer(),
      actorId: Nullable(t.String()),
      /** The admin's email today, when they still have an account with one. */
      actorEmail: Nullable(t.String()),
      action: t.String(),
      targetId: Nullable(t.String()),
      targetEmail: Nullable(t.String()),
      result: t.Union([t.Literal("ok"), t.Literal("failed")]),
      detail: t.String(),
    }),
  ),
  /** The `before` of the next page (an entry id); null on the last. */
  next: Nullable(Type.Integer()),
});
export type AuditList = typeof AuditListSchema.static;

export const AdminSettingsSchema = t.Object({
  auditRetentionDays: Type.Integer({ minimum: 30, maximum: 3650, default: 365, title: "Audit log kept (days)", description: "Longer than tips: admins' actions stay accountable." }),
  backupsKept: Type.Integer({
    minimum: 1,
    maximum: 365,
    default: 7,
    title: "Backups kept",
    description: "In DATA_DIR/backups; each new backup (daily, Back up now or oo backup) removes older ones.",
  }),
});

const EventSchema = t.Object({ id: Type.Integer(), subject: t.String(), userId: Nullable(t.String()), payload: t.Unknown(), at: Type.Integer() });
/** A delivered event: `seq` orders the live tail; `id` is its stored row, null for one only announced (a served tip, whose row is the tip's). */
const LiveEventSchema = t.Object({
  seq: Type.Integer(),
  id: Nullable(Type.Integer()),
  subject: t.String(),
  userId: Nullable(t.String()),
  payload: t.Unknown(),
  at: Type.Integer(),
});
const Subject = t.String({ maxLength: 60, pattern: "^[a-z_.]+$" });
const UserId = t.String({ maxLength: 100 });

/** `GET /api/admin/events`: the live tail (the bus's ring buffer), newest last; `after` (a `seq`) polls for what came since. */
export const LiveEventsQuery = t.Object({
  subject: t.Optional(Subject),
  user: t.Optional(UserId),
  after: t.Optional(wholeNumber("after", 0)),
});
export const LiveEventsSchema = t.Object({ events: t.Array(LiveEventSchema) });

/** `GET /api/admin/events/history`: the events table, newest first, in a time range (ISO dates or times, UTC). */
export const EventHistoryQuery = t.Object({
  subject: t.Optional(Subject),
  user: t.Optional(UserId),
  from: t.Optional(t.String({ maxLength: 30 })),
  to: t.Optional(t.String({ maxLength: 30 })),
  before: t.Optional(wholeNumber("before", 1)),
  limit: t.Optional(wholeNumber("limit", 1, 200)),
});
export const EventHistorySchema = t.Object({ events: t.Array(EventSchema), next: Nullable(Type.Integer()) });
export type EventHistory = typeof EventHistorySchema.static;
export type LiveEvents = typeof LiveEventsSchema.static;

export const JobsSchema = t.Object({
  jobs: t.Array(
    t.Object({
      name: t.String(),
      intervalMs: Type.Integer(),
      running: t.Boolean(),
      runs: Type.Integer(),
      failures: Type.Integer(),
      lastRunAt: Nullable(Type.Integer()),
      lastDurationMs: Nullable(t.Number()),
      lastError: Nullable(t.String()),
      nextRunAt: Nullable(Type.Integer()),
    }),
  ),
});
export type Jobs = typeof JobsSchema.static;
export const JobParams = t.Object({ name: t.String({ maxLength: 60, pattern: "^[a-z0-9._-]+$" }) });

export const LogsQuery = t.Object({ level: t.Optional(t.Union([t.Literal("warn"), t.Literal("error")])) });
export const LogsSchema = t.Object({
  lines: t.Array(t.Object({ time: t.String(), level: t.String(), msg: t.String(), fields: t.Record(t.String(), t.Unknown()) })),
});
export type Logs = typeof LogsSchema.static;

const SqlText = t.String({ minLength: 1, maxLength: 8000 });
/** `POST /api/admin/sql`: one read-only statement. */
export const SqlBody = t.Object({ sql: SqlText });
/** The page's form, posted to run the query, download it as CSV, or save it under `name`. */
export const SqlForm = t.Object({ sql: SqlText, name: t.Optional(t.String({ maxLength: 100 })), format: t.Optional(t.Literal("csv")) });
export const SqlResultSchema = t.Object({
  columns: t.Array(t.String()),
  rows: t.Array(t.Array(t.Unknown())),
  truncated: t.Boolean(),
  ms: Type.Integer({ minimum: 0 }),
});
export const SavedQueryBody = t.Object({ name: t.String({ minLength: 1, maxLength: 100 }), sql: SqlText });
export const SavedQueriesSchema = t.Object({
  queries: t.Array(t.Object({ id: Type.Integer(), name: t.String(), sql: t.String(), createdAt: Type.Integer() })),
});
export type SavedQueries = typeof SavedQueriesSchema.static;
export const SavedQueryParams = t.Object({ id: wholeNumber("id", 1) });
export const SqlPageQuery = t.Object({ saved: t.Optional(wholeNumber("saved", 1)) });

const BackupSchema = t.Object({ name: t.String(), bytes: Type.Integer(), at: t.Number() });
export const BackupListSchema = t.Object({
  backups: t.Array(BackupSchema),
  /** The last attempt, when it failed (until one succeeds). */
  lastFailure: Nullable(t.Object({ at: Type.Integer(), reason: t.String() })),
});
export type BackupList = typeof BackupListSchema.static;
export const CreatedBackupSchema = BackupSchema;
export const BackupParams = t.Object({ name: t.String({ maxLength: 40, pattern: "^oo-\\d{8}T\\d{6}Z\\.db$" }) });

export const HealthStatusSchema = t.Union([t.Literal("ok"), t.Literal("warn"), t.Literal("fail")]);
export type HealthStatus = typeof HealthStatusSchema.static;
/** `GET /api/admin/health`: one overall status, the worst of its lines. */
export const HealthReportSchema = t.Object({
  at: Type.Integer(),
  status: HealthStatusSchema,
  lines: t.Array(t.Object({ name: t.String(), status: HealthStatusSchema, summary: t.String(), details: t.Array(t.Tuple([t.String(), t.String()])) })),
});
export type HealthReport = typeof HealthReportSchema.static;

const Share = t.Number({ minimum: 0, maximum: 1 });
/** `GET /api/admin/data-quality`: the last 14 UTC days, newest first. */
export const DataQualitySchema = t.Object({
  rates: t.Object({
    /** Decisions whose candidates' vectors cannot be rebuilt (logged without a context). */
    missingFeatures: Share,
    /** Open tasks stored without the date they were added: the recommender cannot tell their age. */
    unknownTaskAge: Share,
    /** Connections waiting for the person to reconnect (the provider refused the grant). */
    staleTokens: Share,
    /** Standing reactions the bandit has not taken yet (the scorer was down; the backlog job retries). */
    rewardsPending: Share,
  }),
  integrations: Count,
  syncFailures: t.Array(t.Object({ userId: t.String(), provider: t.String(), error: Nullable(t.String()), lastSyncAt: Nullable(Type.Integer()) })),
  days: t.Array(
    t.Object({ day: t.String(), tips: Count, scored: Count, rebuildable: Count, reactions: Count, applied: Count }),
  ),
});
export type DataQuality = typeof DataQualitySchema.static;

const SettingValue = t.Union([t.Number(), t.String(), t.Array(t.String())]);
/** One setting as the Settings page draws it; a value inside an object (a reward) carries its group. */
export const SettingFieldSchema = t.Object({
  /** The form field's name: the key, or `key.inner` for a value inside an object. */
  name: t.String(),
  kind: t.Union([t.Literal("number"), t.Literal("integer"), t.Literal("choice"), t.Literal("choices")]),
  label: t.String(),
  help: t.String(),
  group: t.Optional(t.String()),
  groupHelp: t.Optional(t.String()),
  options: t.Optional(t.Array(t.String())),
  min: t.Optional(t.Number()),
  max: t.Optional(t.Number()),
  value: SettingValue,
  fallback: SettingValue,
});
export type SettingField = typeof SettingFieldSchema.static;
export const SettingsViewSchema = t.Array(t.Object({ name: t.String(), fields: t.Array(SettingFieldSchema) }));
export type SettingsView = typeof SettingsViewSchema.static;

export const SettingsValuesSchema = t.Record(t.String(), t.Record(t.String(), t.Unknown()));

/**
 * The Settings page's form for one section, every field as text: a number or a choice by its name
 * (`rewards.done` inside an object), a box of a multiple choice as `key.option` = "on" when ticked.
 */
export function settingsFormSchema(schema: TObject) {
  const fields: Record<string, TSchema> = {};
  const add = (key: string, field: TSchema) => {
    if (field.type === "object") {
      for (const [inner, innerField] of Object.entries(field.properties as Record<string, TSchema>)) add(`${key}.${inner}`, innerField);
    } else if (field.type === "array") {
      for (const option of (field.items as TSchema).anyOf as TSchema[]) fields[`${key}.${option.const}`] = t.Optional(t.Literal("on"));
    } else {
      // Optional, and long enough for any junk: a missing or wrong value is refused by the section's
      // check, which names it, audits it and gives the form back as typed.
      fields[key] = t.Optional(t.String({ maxLength: 200 }));
    }
  };
  for (const [key, field] of Object.entries(schema.properties)) add(key, field);
  return t.Object(fields);
}

/** A schema without its defaults, inner ones too: a request validated against it is never filled in. */
function withoutDefaults<T extends TSchema>(schema: T): T {
  const copy = { ...schema } as Record<string | symbol, unknown>;
  delete copy.default;
  if (schema.properties) {
    copy.properties = Object.fromEntries(Object.entries(schema.properties as Record<string, TSchema>).map(([key, inner]) => [key, withoutDefaults(inner)]));
  }
  return copy as T;
}

/**
 * The API's change to one section: any of its settings, each whole. Without the defaults: the
 * validator fills in what a schema defaults, which would put every setting left out back to its default.
 */
export const settingsPatchSchema = (schema: TObject) => t.Partial(withoutDefaults(schema), { additionalProperties: false });

/** The jobs page after "Run now": the job started (its notice). */
export const JobsPageQuery = t.Object({ started: t.Optional(t.String({ maxLength: 100 })) });
/** The backups page after "Back up now": the backup made (its notice). */
export const BackupsPageQuery = t.Object({ done: t.Optional(t.String({ maxLength: 100 })) });
