import { CappedMap } from "./capped-map.ts";

/**
 * Time-zone arithmetic with Intl only. Times are stored in UTC; anything that depends on "the
 * user's day" (features, quiet hours, all-day due dates) goes through these.
 */
export interface ZonedParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 = Monday … 6 = Sunday. */
  weekday: number;
}

export const SECOND_MS = 1_000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;
/** UTC offsets are whole multiples of 15 minutes and change on such boundaries. */
const QUARTER_HOUR_MS = 900_000;
const formatters = new Map<string, Intl.DateTimeFormat>();
/** Per zone and quarter hour: a year of quarter hours is 35,040 entries per zone. */
const offsets = new CappedMap<string, number>(100_000);

/** Throws a RangeError for an unknown zone name. */
function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, format);
  }
  return format;
}

/** The zone's canonical IANA name (e.g. "europe/paris" → "Europe/Paris"), or undefined for anything else. */
export function canonicalTimeZone(zone: string): string | undefined {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(zone) || zone.length > 64) return undefined;
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/**
 * How far the zone's wall clock is ahead of UTC at an instant, in ms. Intl is slow (microseconds a
 * call) and this sits on the recommendation path, so offsets are cached per zone and quarter hour.
 */
export function zoneOffsetMs(instant: number, timeZone: string): number {
  const quarter = Math.floor(instant / QUARTER_HOUR_MS);
  const key = `${timeZone}|${quarter}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    const start = quarter * QUARTER_HOUR_MS;
    const parts: Record<string, string> = {};
    for (const part of formatter(timeZone).formatToParts(start)) parts[part.type] = part.value;
    offset = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second)) - start;
    offsets.set(key, offset);
  }
  return offset;
}

/** The wall-clock reading of an instant in a zone. */
export function zonedParts(instant: number, timeZone: string): ZonedParts {
  const wall = new Date(instant + zoneOffsetMs(instant, timeZone));
  return {
    year: wall.getUTCFullYear(),
    month: wall.getUTCMonth() + 1,
    day: wall.getUTCDate(),
    hour: wall.getUTCHours(),
    minute: wall.getUTCMinutes(),
    second: wall.getUTCSeconds(),
    weekday: (wall.getUTCDay() + 6) % 7,
  };
}

/** The wall time in `timeZone` at `instant`, written as if it were UTC (whole seconds). */
export function wallClockAt(instant: number, timeZone: string): number {
  const wholeSecond = Math.floor(instant / 1000) * 1000;
  return wholeSecond + zoneOffsetMs(wholeSecond, timeZone);
}

/**
 * The instant at which a zone's wall clock shows `wall` (a wall time written as if it were UTC).
 * Around DST changes it resolves like Temporal's "compatible" rule: a repeated wall time takes its
 * first occurrence, and a skipped one (02:30 on a spring-forward night) moves forward by the gap,
 * as a clock set before the change would.
 */
export function instantOfWallTime(wall: number, timeZone: string): number {
  const offsetBefore = zoneOffsetMs(wall - DAY_MS, timeZone);
  const offsetAfter = zoneOffsetMs(wall + DAY_MS, timeZone);
  const matches = [offsetBefore, offsetAfter].map((offset) => wall - offset).filter((instant) => wallClockAt(instant, timeZone) === wall);
  return matches.length > 0 ? Math.min(...matches) : wall - offsetBefore;
}

/** When the day that holds `instant` begins in `timeZone`. */
export function startOfDayAt(instant: number, timeZone: string): number {
  const wall = wallClockAt(instant, timeZone);
  return instantOfWallTime(Math.floor(wall / DAY_MS) * DAY_MS, timeZone);
}

interface DueCommon {
  /** The calendar date: for a fixed instant, the date in the task's own zone. */
  date: string;
  isRecurring: boolean;
  /** The user's words ("every monday"), kept for display. */
  string: string;
}

/**
 * The three forms a task's due date takes, kept apart because "overdue" means something different
 * for each; `dueInstant` turns any of them into a moment for a given user.
 */
export type TaskDue =
  /** All day: due until that day ends wherever the user is. */
  | (DueCommon & { kind: "date"; datetime: null; timezone: null })
  /** A wall time with no zone (`YYYY-MM-DDTHH:MM:SS`): that time wherever the user is. */
  | (DueCommon & { kind: "floating"; datetime: string; timezone: null })
  /** A fixed moment (`…Z`, normalised to UTC); `timezone` is the zone it was set in, if known. */
  | (DueCommon & { kind: "instant"; datetime: string; timezone: string | null });

const WALL = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?)?/;

function wallOf(value: string): number {
  const match = WALL.exec(value);
  if (!match) return Number.NaN;
  return Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]), Number(match[4] ?? 0), Number(match[5] ?? 0), Number(match[6] ?? 0));
}

/**
 * The moment a due date passes for a user in `userTimeZone` (Intl throws a RangeError for an
 * unknown zone). A task is overdue once now is later than this.
 * - all-day date: the last millisecond of that day in the user's zone, so a task due today is not
 *   overdue until the day ends;
 * - floating date-time: that wall time in the user's zone;
 * - fixed instant: that instant, wherever the user is.
 */
export function dueInstant(due: TaskDue | null, userTimeZone: string): number | null {
  if (!due) return null;
  switch (due.kind) {
    case "date":
      return instantOfWallTime(wallOf(due.date) + DAY_MS, userTimeZone) - 1;
    case "floating":
      return instantOfWallTime(wallOf(due.datetime), userTimeZone);
    case "instant":
      return Date.parse(due.datetime);
  }
}
