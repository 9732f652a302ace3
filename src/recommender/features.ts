import { DAY_MS, zonedParts } from "../time.ts";
import type { Candidate } from "./candidates/index.ts";

/**
 * The context vector of a candidate (d = 5), every entry scaled to [0, 1] so no feature dominates
 * the bandit by its units. Bump the version whenever the meaning or scaling of an entry changes:
 * it is logged with every decision, and off-policy evaluation must not mix versions.
 */
export const FEATURE_VERSION = "f1";
export const FEATURE_NAMES = ["is_overdue", "task_age_days", "priority", "hour_of_day", "day_of_week"] as const;
export const FEATURE_DIMENSION = FEATURE_NAMES.length;

/** Ages beyond a month read as "old"; finer distinctions there carry no signal. */
const AGE_CAP_DAYS = 30;

export interface Clock {
  now: number;
  hour: number;
  weekday: number;
}

/** The user's local hour and weekday; computed once per decision. */
export function clockAt(now: number, timeZone: string): Clock {
  const local = zonedParts(now, timeZone);
  return { now, hour: local.hour, weekday: local.weekday };
}

export function featuresOf(candidate: Candidate, clock: Clock): number[] {
  const overdue = candidate.dueAt !== null && candidate.dueAt < clock.now ? 1 : 0;
  const ageDays = candidate.addedAt === null ? 0 : Math.max(0, (clock.now - candidate.addedAt) / DAY_MS);
  return [
    overdue,
    round(Math.min(ageDays, AGE_CAP_DAYS) / AGE_CAP_DAYS),
    round((Math.min(Math.max(candidate.priority, 1), 4) - 1) / 3),
    round(clock.hour / 23),
    round(clock.weekday / 6),
  ];
}

/**
 * The vectors of one decision's candidates. A candidate without dates (every advice) has a vector
 * that depends on its priority alone, so those share one array per priority, which lets a policy
 * see at a glance which candidates are alike (LinUCB scores each distinct vector once).
 */
export function featuresOfAll(candidates: Candidate[], clock: Clock): number[][] {
  const dateless = new Map<number, number[]>();
  return candidates.map((candidate) => {
    if (candidate.dueAt !== null || candidate.addedAt !== null) return featuresOf(candidate, clock);
    let shared = dateless.get(candidate.priority);
    if (!shared) dateless.set(candidate.priority, (shared = featuresOf(candidate, clock)));
    return shared;
  });
}

/** Four decimals keep logs and scorer messages short without changing any decision. */
export const round = (value: number) => Math.round(value * 10_000) / 10_000;
