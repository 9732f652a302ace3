import { type Static, type TSchema, Type } from "@sinclair/typebox";
import { type TaskDue, wallClockAt } from "../../time.ts";

/**
 * Todoist tasks as API v1 sends them, and the smaller shape oO stores.
 * Pure code only, so the webhook and sync paths share it without the HTTP client.
 */

const nullable = <T extends TSchema>(schema: T) => Type.Optional(Type.Union([schema, Type.Null()]));

/** `YYYY-MM-DD`, floating `YYYY-MM-DDTHH:MM[:SS[.fff]]`, or RFC 3339 with `Z` or an offset. */
const DUE_DATE = "^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:\\d{2})?)?$";

/**
 * The fields oO reads from a task, checked on every response and webhook payload. Only `id` and
 * `content` are required: a field Todoist stops sending must not fail a whole sync.
 */
export const TodoistApiTaskSchema = Type.Object({
  id: Type.String({ minLength: 1 }),
  content: Type.String(),
  description: Type.Optional(Type.String()),
  /** 4 is urgent ("p1" in the apps), 1 is normal. */
  priority: Type.Optional(Type.Integer({ minimum: 1, maximum: 4 })),
  due: nullable(
    Type.Object({
      date: Type.String({ pattern: DUE_DATE }),
      string: Type.Optional(Type.String()),
      is_recurring: Type.Optional(Type.Boolean()),
      timezone: nullable(Type.String()),
      lang: nullable(Type.String()),
    }),
  ),
  deadline: nullable(Type.Object({ date: Type.String({ pattern: "^\\d{4}-\\d{2}-\\d{2}$" }), lang: nullable(Type.String()) })),
  duration: nullable(
    Type.Object({ amount: Type.Number({ exclusiveMinimum: 0 }), unit: Type.Union([Type.Literal("minute"), Type.Literal("day")]) }),
  ),
  labels: Type.Optional(Type.Array(Type.String())),
  project_id: nullable(Type.String()),
  section_id: nullable(Type.String()),
  parent_id: nullable(Type.String()),
  user_id: Type.Optional(Type.String()),
  added_at: nullable(Type.String()),
  updated_at: nullable(Type.String()),
  completed_at: nullable(Type.String()),
  checked: Type.Optional(Type.Boolean()),
  is_deleted: Type.Optional(Type.Boolean()),
  child_order: Type.Optional(Type.Integer()),
  note_count: Type.Optional(Type.Integer()),
});

export type TodoistApiTask = Static<typeof TodoistApiTaskSchema>;
export type TodoistApiDue = NonNullable<TodoistApiTask["due"]>;

/** What oO keeps of a task: enough to recommend it, nothing it does not use. */
export interface TodoistTask {
  id: string;
  content: string;
  description: string;
  /** 4 is urgent, 1 is normal. */
  priority: number;
  due: TaskDue | null;
  /** `YYYY-MM-DD`. */
  deadline: string | null;
  durationMinutes: number | null;
  labels: string[];
  projectId: string | null;
  /** Milliseconds since the epoch. */
  addedAt: number | null;
  updatedAt: number | null;
}

const MINUTES_PER_DAY = 24 * 60;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})?$/;

interface ParsedDateTime {
  /** The wall time written as if it were UTC (milliseconds). */
  wall: number;
  /** The zone designator (`Z`, `+02:00`), or undefined for a floating time. */
  zone: string | undefined;
}

function wallTime(year: string, month: string, day: string, hour = "0", minute = "0", second = "0", fraction = ""): number {
  const wall = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second));
  const check = new Date(wall);
  // Date.UTC silently rolls 2024-02-30 over into March; a date that does not round-trip is invalid.
  if (
    check.getUTCFullYear() !== Number(year) ||
    check.getUTCMonth() !== Number(month) - 1 ||
    check.getUTCDate() !== Number(day) ||
    check.getUTCHours() !== Number(hour) ||
    check.getUTCMinutes() !== Number(minute) ||
    check.getUTCSeconds() !== Number(second)
  ) {
    return Number.NaN;
  }
  return wall + Math.floor(Number(`0.${fraction || "0"}`) * 1000);
}

function parseDateTime(value: string): ParsedDateTime | undefined {
  const match = DATE_TIME.exec(value);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, fraction, zone] = match;
  const wall = wallTime(year!, month!, day!, hour, minute, second, fraction);
  return Number.isNaN(wall) ? undefined : { wall, zone };
}

/** Milliseconds since the epoch of an RFC 3339 timestamp (Todoist sends microseconds; JS parsing of those is not guaranteed). */
export function parseInstant(value: string): number | undefined {
  const parsed = parseDateTime(value);
  if (!parsed?.zone) return undefined;
  if (parsed.zone === "Z") return parsed.wall;
  const sign = parsed.zone.startsWith("-") ? -1 : 1;
  const offsetMinutes = Number(parsed.zone.slice(1, 3)) * 60 + Number(parsed.zone.slice(4, 6));
  return parsed.wall - sign * offsetMinutes * 60_000;
}

function isoDate(wall: number): string {
  return new Date(wall).toISOString().slice(0, 10);
}

function dateIn(instant: number, timeZone: string | null): string {
  if (timeZone) {
    try {
      return isoDate(wallClockAt(instant, timeZone));
    } catch {
      // An unknown zone name: the UTC date below is the best remaining guess.
    }
  }
  return isoDate(instant);
}

function normalizeDue(due: TodoistApiDue, taskId: string): TaskDue {
  const common = { isRecurring: due.is_recurring ?? false, string: due.string ?? "" };
  const dateOnly = DATE.exec(due.date);
  if (dateOnly) {
    if (Number.isNaN(wallTime(dateOnly[1]!, dateOnly[2]!, dateOnly[3]!))) throw new RangeError(`task ${taskId} has an invalid due date`);
    return { ...common, kind: "date", date: due.date, datetime: null, timezone: null };
  }
  const parsed = parseDateTime(due.date);
  if (!parsed) throw new RangeError(`task ${taskId} has an invalid due date`);
  if (parsed.zone === undefined) {
    const datetime = new Date(parsed.wall).toISOString().slice(0, 19);
    return { ...common, kind: "floating", date: datetime.slice(0, 10), datetime, timezone: null };
  }
  const instant = parseInstant(due.date)!;
  const timezone = due.timezone ?? null;
  return { ...common, kind: "instant", date: dateIn(instant, timezone), datetime: new Date(instant).toISOString(), timezone };
}

/** The stored shape of an API task. Throws a RangeError naming the task (never its content) on an impossible due date. */
export function normalizeTask(task: TodoistApiTask): TodoistTask {
  const duration = task.duration
    ? task.duration.unit === "day"
      ? task.duration.amount * MINUTES_PER_DAY
      : task.duration.amount
    : null;
  return {
    id: task.id,
    content: task.content,
    description: task.description ?? "",
    priority: task.priority ?? 1,
    due: task.due ? normalizeDue(task.due, task.id) : null,
    deadline: task.deadline?.date ?? null,
    durationMinutes: duration,
    labels: task.labels ?? [],
    projectId: task.project_id ?? null,
    addedAt: task.added_at ? (parseInstant(task.added_at) ?? null) : null,
    updatedAt: task.updated_at ? (parseInstant(task.updated_at) ?? null) : null,
  };
}
