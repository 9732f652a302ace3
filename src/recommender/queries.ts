import type { Database } from "bun:sqlite";
import { and, count, desc, eq, gte, isNull, lt } from "drizzle-orm";
import { changedRows, type Db } from "../db/client.ts";
import { advice, tipFeedback, tipViews } from "../db/schema.ts";
import { purgeEvents } from "../events/queries.ts";
import { DAY_MS } from "../time.ts";
import { decodeContext } from "./context.ts";
import { loggedCandidates } from "./decision-candidates.ts";
import { ALL_CLEAR } from "./recommend.ts";
import { policyVersionsById } from "./policy-versions.ts";
import { type Clock, type FeatureInput, type FeatureVersion, featuresOfAll } from "./features.ts";

/**
 * The latest tip that showed this candidate to the person since `since`, with when it was served
 * and whether it was answered; for a provider that learns of a completion after the fact.
 */
export function latestTipShowing(db: Db, userId: string, candidateKey: string, since: number) {
  return db
    .select({ id: tipViews.id, servedAt: tipViews.servedAt, actedAt: tipViews.actedAt })
    .from(tipViews)
    // Bounded by `since`, so the index range read stays small for a candidate that was never shown.
    .where(and(eq(tipViews.userId, userId), gte(tipViews.servedAt, since), eq(tipViews.candidateKey, candidateKey)))
    .orderBy(desc(tipViews.servedAt))
    .limit(1)
    .get();
}

/** How many tips were pushed to the person since `since`, and whether this candidate was among them (by the person's own index). */
export function pushesSince(db: Db, userId: string, since: number, candidateKey?: string): number {
  const conditions = [eq(tipViews.userId, userId), gte(tipViews.servedAt, since), eq(tipViews.channel, "push")];
  if (candidateKey !== undefined) conditions.push(eq(tipViews.candidateKey, candidateKey));
  return db.select({ n: count() }).from(tipViews).where(and(...conditions)).get()!.n;
}

/**
 * Forgets decisions and reactions older than the retention period: the tips shown with their
 * decisions, the reactions and their events (`DecisionCandidates.purgeBefore` drops the candidates
 * no decision left refers to).
 */
export function purgeOldDecisions(db: Db, retentionDays: number, now = Date.now()) {
  const cutoff = now - retentionDays * DAY_MS;
  return db.transaction(() => ({
    feedback: changedRows(db, db.delete(tipFeedback).where(lt(tipFeedback.at, cutoff))),
    views: changedRows(db, db.delete(tipViews).where(lt(tipViews.servedAt, cutoff))),
    events: purgeEvents(db, ["signals.tip.feedback", "signals.tip.undone"], cutoff),
  }));
}

/** The active advice library with what the simulator needs of each (`oo sim`). */
export function adviceLibrary(db: Db) {
  return db
    .select({ id: advice.id, category: advice.category, time_of_day: advice.timeOfDay, day_kind: advice.dayKind, priority: advice.priority })
    .from(advice)
    .where(eq(advice.active, true))
    .orderBy(advice.id)
    .all();
}

/** One decision of the log as off-policy evaluation reads it: what was served, with what propensity, what each shadow policy would have picked, and the reward. */
export interface LoggedDecision {
  tipId: string;
  candidates: string[];
  servedKey: string;
  propensity: number;
  reward: number;
  shadows: Record<string, string>;
  /** Every candidate's vector in the version asked for, rebuilt from the decision's context; absent for a decision logged before contexts were kept. */
  vectors?: number[][];
}

/**
 * The decisions served since `since`, oldest first (the all-clear line, which chose among nothing,
 * left out), each with its standing reaction's reward (0
 * without one), and with `version`, every candidate's vector in that feature version. One query
 * over the tips' time index (a tip's row holds its decision), and each person's logged candidates
 * are read once.
 */
export function decisionLog(sqlite: Database, since: number, version?: FeatureVersion): LoggedDecision[] {
  const rows = sqlite
    .query<
      {
        id: string;
        user_id: string;
        candidates: string | null;
        context: Uint8Array | null;
        served_at: number;
        candidate_key: string;
        propensity: number;
        shadows: string | null;
        reward: number | null;
      },
      [number, string]
    >(
      `SELECT v.id, v.user_id, v.candidates, v.context, v.served_at, v.candidate_key, v.propensity, v.shadows, f.reward
         FROM tip_views v
         LEFT JOIN tip_feedback f ON f.tip_id = v.id AND f.undone_at IS NULL
        WHERE v.served_at >= ? AND v.propensity IS NOT NULL AND v.candidate_key != ?
        ORDER BY v.served_at, v.id`,
    )
    .all(since, ALL_CLEAR.key);
  const candidatesOf = new Map<string, ReturnType<typeof loggedCandidates>>();
  const versions = policyVersionsById(sqlite);
  return rows.map((row) => {
    const shadows = row.shadows ? (JSON.parse(row.shadows) as [number, string][]) : [];
    const decision: LoggedDecision = {
      tipId: row.id,
      candidates: [],
      servedKey: row.candidate_key,
      propensity: row.propensity,
      reward: row.reward ?? 0,
      shadows: Object.fromEntries(shadows.map(([versionId, key]) => [versions.get(versionId)?.policy ?? `version ${versionId}`, key])),
    };
    let inputs: FeatureInput[] | null = null;
    let clock: Clock | null = null;
    if (row.context) {
      const context = decodeContext(row.context, row.served_at);
      clock = context.clock;
      if ("inline" in context) inputs = context.inline;
      else {
        let known = candidatesOf.get(row.user_id);
        if (!known) candidatesOf.set(row.user_id, (known = loggedCandidates(sqlite, row.user_id)));
        const logged = context.refs.map((ref) => {
          const candidate = known.get(ref);
          if (!candidate) throw new Error(`decision ${row.id} refers to candidate ${ref}, which is not logged`);
          return candidate;
        });
        decision.candidates = logged.map((candidate) => candidate.key);
        inputs = logged.map((candidate) => candidate.input);
      }
    }
    // Decisions logged before candidates were kept by ref hold their keys themselves.
    if (row.candidates !== null) decision.candidates = JSON.parse(row.candidates) as string[];
    if (version && inputs && clock) decision.vectors = featuresOfAll(inputs, clock, version);
    return decision;
  });
}

/** What the console's overview counts of tips and reactions since `since`, by UTC day. */
export interface Activity {
  /** People served a tip in the last day, week and 30 days (before `now`). */
  active: { day: number; week: number; month: number };
  days: { day: string; tips: number; reactions: Record<string, number> }[];
}

/**
 * The tips served (the all-clear line is none) and the reactions recorded over the last `days`
 * UTC days, per day and action, and how many people opened oO in the last day, week and month.
 * Each count reads one index range (`tip_views_served_idx`, `tip_feedback_at_idx`), never a whole table.
 */
export function activity(sqlite: Database, now: number, days = 30): Activity {
  const since = Math.floor(now / DAY_MS) * DAY_MS - (days - 1) * DAY_MS;
  const dayOf = "strftime('%Y-%m-%d', served_at / 1000, 'unixepoch')";
  const tips = sqlite
    .query<{ day: string; n: number }, [number, string]>(`SELECT ${dayOf} AS day, count(*) AS n FROM tip_views WHERE served_at >= ? AND candidate_key != ? GROUP BY day`)
    .all(since, ALL_CLEAR.key);
  const reactions = sqlite
    .query<{ day: string; action: string; n: number }, [number]>(
      "SELECT strftime('%Y-%m-%d', at / 1000, 'unixepoch') AS day, action, count(*) AS n FROM tip_feedback WHERE at >= ? AND undone_at IS NULL GROUP BY day, action",
    )
    .all(since);
  // Left alone, SQLite walks all of (user_id, served_at) for the DISTINCT; the range of served_at is smaller.
  const activeSince = sqlite.query<{ n: number }, [number]>("SELECT count(DISTINCT user_id) AS n FROM tip_views INDEXED BY tip_views_served_idx WHERE served_at >= ?");
  const byDay = new Map<string, Activity["days"][number]>();
  for (let at = since; at <= now; at += DAY_MS) {
    const day = new Date(at).toISOString().slice(0, 10);
    byDay.set(day, { day, tips: 0, reactions: {} });
  }
  for (const row of tips) if (byDay.has(row.day)) byDay.get(row.day)!.tips = row.n;
  for (const row of reactions) if (byDay.has(row.day)) byDay.get(row.day)!.reactions[row.action] = row.n;
  return {
    active: {
      day: activeSince.get(now - DAY_MS)!.n,
      week: activeSince.get(now - 7 * DAY_MS)!.n,
      month: activeSince.get(now - 30 * DAY_MS)!.n,
    },
    days: [...byDay.values()],
  };
}

/** A person's latest tips, newest first, with their standing reaction (the console's user page; `tip_views_user_served_idx`). */
export function recentTips(db: Db, userId: string, limit: number) {
  return db
    .select({ id: tipViews.id, kind: tipViews.kind, content: tipViews.content, servedAt: tipViews.servedAt, channel: tipViews.channel, reaction: tipFeedback.action })
    .from(tipViews)
    .leftJoin(tipFeedback, and(eq(tipFeedback.tipId, tipViews.id), isNull(tipFeedback.undoneAt)))
    .where(eq(tipViews.userId, userId))
    .orderBy(desc(tipViews.servedAt))
    .limit(limit)
    .all();
}

/**
 * How the serving policy's decisions since `since` went, by `scorer_status` (ok, timeout, down…),
 * and the latest one's latency: the health page's scorer line. Reads the tips' time index.
 */
export function servingOutcomes(sqlite: Database, since: number): { byStatus: Record<string, number>; lastLatencyMs: number | null } {
  const rows = sqlite
    .query<{ status: string; n: number }, [number]>(
      "SELECT scorer_status AS status, count(*) AS n FROM tip_views WHERE served_at >= ? AND scorer_status IS NOT NULL GROUP BY 1",
    )
    .all(since);
  const last = sqlite
    .query<{ latency: number }, []>("SELECT latency_ms AS latency FROM tip_views WHERE latency_ms IS NOT NULL ORDER BY served_at DESC LIMIT 1")
    .get();
  return { byStatus: Object.fromEntries(rows.map((row) => [row.status, row.n])), lastLatencyMs: last?.latency ?? null };
}

/**
 * The decision log's completeness per UTC day since `since` (the console's data quality): tips
 * served (the all-clear line is no decision), how many have their decision logged and a context their vectors rebuild from, and
 * the standing reactions with how many reached the bandit. One range of each time index.
 */
export function decisionCompleteness(sqlite: Database, since: number) {
  const tips = sqlite
    .query<{ day: string; tips: number; scored: number; rebuildable: number }, [number, string]>(
      `SELECT strftime('%Y-%m-%d', v.served_at / 1000, 'unixepoch') AS day, count(*) AS tips,
              sum(v.propensity IS NOT NULL) AS scored,
              sum(v.context IS NOT NULL) AS rebuildable
         FROM tip_views v WHERE v.served_at >= ? AND v.candidate_key != ? GROUP BY day`,
    )
    .all(since, ALL_CLEAR.key);
  const reactions = sqlite
    .query<{ day: string; reactions: number; applied: number }, [number]>(
      `SELECT strftime('%Y-%m-%d', at / 1000, 'unixepoch') AS day, count(*) AS reactions, sum(bandit_applied_at IS NOT NULL) AS applied
         FROM tip_feedback WHERE at >= ? AND undone_at IS NULL GROUP BY day`,
    )
    .all(since);
  return { tips, reactions };
}
