import type { Choice } from "../recommender/recommend.ts";
import { DAY_MS, HOUR_MS, instantOfWallTime, wallClockAt, zonedParts } from "../time.ts";

/** Minutes since midnight of "HH:MM". */
const minutesOf = (time: string) => {
  const [hours, minutes] = time.split(":").map(Number);
  return hours! * 60 + minutes!;
};

/**
 * Whether `now` falls in the person's quiet hours: from `start` to `end` ("HH:MM") on their own
 * wall clock, so a window may span midnight and follows DST changes; equal ends mean none.
 */
export function inQuietHours(now: number, timeZone: string, start: string, end: string): boolean {
  const { hour, minute } = zonedParts(now, timeZone);
  const at = hour * 60 + minute;
  const [from, to] = [minutesOf(start), minutesOf(end)];
  if (from === to) return false;
  return from < to ? at >= from && at < to : at >= from || at < to;
}

/** The instant the person's day began (local midnight, whatever DST did that night). */
export function startOfLocalDay(now: number, timeZone: string): number {
  return instantOfWallTime(Math.floor(wallClockAt(now, timeZone) / DAY_MS) * DAY_MS, timeZone);
}

/**
 * Why a choice is worth an interruption, or null: an urgent task (priority 4) that is overdue or
 * due within the hour, or a LinUCB pick that scores at least `threshold` (the heuristic's scores,
 * serving while the scorer is away, are on another scale and never count).
 */
export function worthInterrupting(choice: Choice, threshold: number): "urgent" | "score" | null {
  if (choice.allClear) return null;
  const { chosen, now, served } = choice;
  if (chosen.kind === "todo" && chosen.priority === 4 && chosen.dueAt !== null && chosen.dueAt - now <= HOUR_MS) return "urgent";
  if (served.policy.name === "linucb" && served.decision.scores[served.decision.chosen]! >= threshold) return "score";
  return null;
}
