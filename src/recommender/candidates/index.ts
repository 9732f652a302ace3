import { eq } from "drizzle-orm";
import { CappedMap, PER_PERSON_CACHE_LIMIT } from "../../capped-map.ts";
import type { Db } from "../../db/client.ts";
import { candidateStates } from "../../db/schema.ts";
import { DAY_MS, HOUR_MS, instantOfWallTime, MINUTE_MS, wallClockAt, zonedParts } from "../../time.ts";
import type { Candidate, CandidateSource, LoadContext, RequestContext, TimeOfDay } from "./types.ts";

export type { Candidate, CandidateSource, RequestContext, LoadContext, TimeOfDay, TipKind } from "./types.ts";

type CandidateState = typeof candidateStates.$inferSelect;

interface UserEntry {
  timeZone: string;
  loadedAt: number;
  /** When the first of the personal candidates expires: the entry is loaded again from then on. */
  expiresAt: number;
  personal: Candidate[];
  states: Map<string, CandidateState>;
}

const CACHE_TTL_MS = MINUTE_MS;

export function timeOfDayAt(hour: number): TimeOfDay {
  if (hour >= 5 && hour < 12) return "morning";
  if (hour >= 12 && hour < 17) return "afternoon";
  if (hour >= 17 && hour < 22) return "evening";
  return "night";
}

/** The local hours at which one part of the day ends and the next begins (see `timeOfDayAt`). */
const PART_OF_DAY_STARTS = [5, 12, 17, 22];

/** When the next part of the day begins in `timeZone` after `now`: other advice fits from then. */
function nextPartOfDayAt(now: number, timeZone: string): number {
  const wall = wallClockAt(now, timeZone);
  const midnight = Math.floor(wall / DAY_MS) * DAY_MS;
  const hour = (wall - midnight) / HOUR_MS;
  const nextHour = PART_OF_DAY_STARTS.find((start) => start > hour) ?? 24 + PART_OF_DAY_STARTS[0]!;
  return instantOfWallTime(midnight + nextHour * HOUR_MS, timeZone);
}

/**
 * Hidden while snoozed or cooling down; a done item stays hidden until its provider changes it
 * again, and a done recurring task, rolled forward, until the day it is due again begins.
 */
export function isVisible(candidate: Candidate, state: CandidateState | undefined, now: number): boolean {
  if (!state) return true;
  if (state.hiddenUntil !== null && state.hiddenUntil > now) return false;
  if (state.doneAt !== null && (candidate.changedAt ?? 0) <= state.doneAt) return false;
  if (state.doneAt !== null && candidate.dueDayStartsAt != null && now < candidate.dueDayStartsAt) return false;
  return true;
}

/**
 * Everything that could be the tip for a user right now. Personal candidates (tasks, generated tips)
 * and visibility are cached per user and dropped when a sync or a reaction changes them, so a
 * recommendation usually touches no table at all; the shared advice library is filtered by its
 * time-of-day and weekday hints.
 */
export class CandidatePool {
  private readonly users = new CappedMap<string, UserEntry>(PER_PERSON_CACHE_LIMIT);
  private readonly personalSources: CandidateSource[] = [];
  /** The fitting advice per part of the day and kind of day, for the library as last loaded. */
  private fitting: { library: Candidate[] | null; byHint: Map<string, Candidate[]> } = { library: null, byHint: new Map() };

  constructor(
    private readonly db: Db,
    private readonly advice: CandidateSource,
  ) {}

  /** A source of personal candidates (a connected task manager, generated tips); modules add theirs when built. */
  addSource(source: CandidateSource): void {
    if (this.personalSources.some((known) => known.name === source.name)) throw new Error(`candidate source ${source.name} is already added`);
    this.personalSources.push(source);
    this.personalSources.sort((a, b) => a.rank - b.rank);
  }

  visible(userId: string, timeZone: string, now: number, context: RequestContext = {}): Candidate[] {
    for (const source of this.personalSources) source.touch?.(userId, context);
    const entry = this.entry(userId, timeZone, now);
    const local = zonedParts(now, timeZone);
    const bucket = timeOfDayAt(local.hour);
    const dayKind = local.weekday >= 5 ? "weekend" : "weekday";
    const candidates = [...entry.personal, ...this.fittingAdvice({ userId, timeZone, now }, bucket, dayKind)];
    return entry.states.size === 0 ? candidates : candidates.filter((candidate) => isVisible(candidate, entry.states.get(candidate.key), now));
  }

  /** The advice whose hints fit this part of the day and kind of day; the library changes rarely, so each pick is kept until it does. */
  private fittingAdvice(context: LoadContext, bucket: TimeOfDay, dayKind: "weekday" | "weekend"): Candidate[] {
    const library = this.advice.load(context);
    if (this.fitting.library !== library) this.fitting = { library, byHint: new Map() };
    const key = `${bucket}/${dayKind}`;
    let list = this.fitting.byHint.get(key);
    if (!list) {
      list = library.filter(
        (advice) => (advice.timeOfDay === "any" || advice.timeOfDay === bucket) && (advice.dayKind === "any" || advice.dayKind === dayKind),
      );
      this.fitting.byHint.set(key, list);
    }
    return list;
  }

  /**
   * When something hidden now is likely to show: the first snooze or rest to end, a done recurring
   * task's next day, or the next part of the day (which brings other advice), whichever comes first.
   */
  nextChangeAt(userId: string, timeZone: string, now: number): number {
    const entry = this.entry(userId, timeZone, now);
    let next = nextPartOfDayAt(now, timeZone);
    for (const state of entry.states.values()) {
      if (state.hiddenUntil !== null && state.hiddenUntil > now && state.hiddenUntil < next) next = state.hiddenUntil;
    }
    for (const candidate of entry.personal) {
      const returns = candidate.dueDayStartsAt;
      if (returns != null && returns > now && returns < next && entry.states.get(candidate.key)?.doneAt != null) next = returns;
    }
    return next;
  }

  /** Hands a "done" to the candidate's source (a task manager closes the task upstream). */
  complete(userId: string, key: string, context: RequestContext = {}) {
    this.sourceOf(key)?.complete?.(userId, { key }, context);
  }

  /** Hands an undone "done" (made at `since`) back to the candidate's source. */
  uncomplete(userId: string, key: string, since: number, context: RequestContext = {}) {
    this.sourceOf(key)?.uncomplete?.(userId, { key }, since, context);
  }

  private sourceOf(key: string): CandidateSource | undefined {
    const prefix = key.slice(0, key.indexOf(":"));
    return this.personalSources.find((source) => source.keyPrefix === prefix);
  }

  invalidate(userId: string) {
    this.users.delete(userId);
  }

  private entry(userId: string, timeZone: string, now: number): UserEntry {
    const cached = this.users.get(userId);
    if (cached && cached.timeZone === timeZone && now - cached.loadedAt < CACHE_TTL_MS && now < cached.expiresAt) return cached;
    const states = new Map(
      this.db
        .select()
        .from(candidateStates)
        .where(eq(candidateStates.userId, userId))
        .all()
        .map((state) => [state.candidateKey, state]),
    );
    const personal = this.personalSources.flatMap((source) => source.load({ userId, timeZone, now }));
    const expiresAt = personal.reduce((first, candidate) => Math.min(first, candidate.expiresAt ?? Number.POSITIVE_INFINITY), Number.POSITIVE_INFINITY);
    const entry = { timeZone, loadedAt: now, expiresAt, personal, states };
    this.users.set(userId, entry);
    return entry;
  }
}
