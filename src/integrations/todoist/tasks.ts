import { type Static, type TSchema, Type } from "@sinclair/typebox";

/**
 * Todoist tasks as API v1 sends them, and the smaller shape oO stores.
 * Pure code only: the recommender imports `dueInstant` without pulling in the HTTP client.
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

interface DueCommon {
  /** The calendar date: for a fixed instant, the date in the task's own zone. */
  date: string;
  isRecurring: boolean;
  /** The user's words ("every monday"), kept for display. */
  string: string;
}

/**
 * The three forms of a Todoist due date, kept apart because "overdue" means something different
 * for each; `dueInstant` turns any of them into a moment in a given user's zone.
 */
export type TaskDue =
  /** All day: due until that day ends wherever the user is. */
  | (DueCommon & { kind: "date"; datetime: null; timezone: null })
  /** A wall time with no zone (`YYYY-MM-DDTHH:MM:SS`): that time wherever the user is. */
  | (DueCommon & { kind: "floating"; datetime: string; timezone: null })
  /** A fixed moment (`…Z`, normalised to UTC); `timezone` is the zone it was set in, if known. */
  | (DueCommon & { kind: "instant"; datetime: string; timezone: string | null });

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
const DAY_MS = 24 * 60 * 60 * 1000;

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
function parseInstant(value: string): number | undefined {
  const parsed = parseDateTime(value);
  if (!parsed?.zone) return undefined;
  if (parsed.zone === "Z") return parsed.wall;
  const sign = parsed.zone.startsWith("-") ? -1 : 1;
  const offsetMinutes = Number(parsed.zone.slice(1, 3)) * 60 + Number(parsed.zone.slice(4, 6));
  return parsed.wall - sign * offsetMinutes * 60_000;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The wall time in `timeZone` at `instant`, written as if it were UTC (whole seconds). */
function wallClockAt(instant: number, timeZone: string): number {
  const parts: Record<string, string> = {};
  for (const part of formatterFor(timeZone).formatToParts(instant)) parts[part.type] = part.value;
  return Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
}

function offsetAt(instant: number, timeZone: string): number {
  const wholeSecond = Math.floor(instant / 1000) * 1000;
  return wallClockAt(wholeSecond, timeZone) - wholeSecond;
}

/**
 * The instant a wall time (whole seconds) happens in `timeZone`. Around DST changes it resolves like Temporal's
 * "compatible" rule: a repeated wall time takes its first occurrence, and a skipped one (02:30 on
 * a spring-forward night) moves forward by the gap, as a clock that was set before the change would.
 */
function instantOfWallTime(wall: number, timeZone: string): number {
  const offsetBefore = offsetAt(wall - DAY_MS, timeZone);
  const offsetAfter = offsetAt(wall + DAY_MS, timeZone);
  const matches = [offsetBefore, offsetAfter].map((offset) => wall - offset).filter((instant) => wallClockAt(instant, timeZone) === wall);
  return matches.length > 0 ? Math.min(...matches) : wall - offsetBefore;
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

/**
 * The moment a due date passes for a user in `userTimeZone` (an IANA name; Intl throws a RangeError
 * for an unknown one), in milliseconds since the epoch. A task is overdue once now is later than this.
 * - all-day date: the last millisecond of that day in the user's zone, so a task due today is not
 *   overdue until the day ends;
 * - floating date-time: that wall time in the user's zone;
 * - fixed instant: that instant, wherever the user is.
 */
export function dueInstant(due: TaskDue | null, userTimeZone: string): number | null {
  if (!due) return null;
  switch (due.kind) {
    case "date": {
      const [year, month, day] = due.date.split("-");
      const nextMidnight = wallTime(year!, month!, day!) + DAY_MS;
      return instantOfWallTime(nextMidnight, userTimeZone) - 1;
    }
    case "floating":
      return instantOfWallTime(parseDateTime(due.datetime)!.wall, userTimeZone);
    case "instant":
      return parseInstant(due.datetime)!;
  }
}
