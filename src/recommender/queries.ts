import { and, desc, eq, gte, lt, type SQL, sql } from "drizzle-orm";
import { changedRows, type Db } from "../db/client.ts";
import { advice, tipFeedback, tipScores, tipViews } from "../db/schema.ts";
import { purgeEvents } from "../events/queries.ts";
import { DAY_MS } from "../time.ts";

/** The ids of a person's tips, as a subquery (a person's tip events and decision rows are reached through them). */
export function tipIdsOf(userId: string): SQL {
  return sql`(SELECT ${tipViews.id} FROM ${tipViews} WHERE ${tipViews.userId} = ${userId})`;
}

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

/**
 * Forgets decisions and reactions older than the retention period: the decision log, the reactions,
 * the tips shown, and their events (which repeat both), in one transaction.
 */
export function purgeOldDecisions(db: Db, retentionDays: number, now = Date.now()) {
  const cutoff = now - retentionDays * DAY_MS;
  return db.transaction(() => ({
    // A decision's rows share its tip's time: the tips' own index finds them, before the tips go.
    scores: changedRows(db, db.delete(tipScores).where(sql`${tipScores.tipId} IN (SELECT ${tipViews.id} FROM ${tipViews} WHERE ${lt(tipViews.servedAt, cutoff)})`)),
    feedback: changedRows(db, db.delete(tipFeedback).where(lt(tipFeedback.at, cutoff))),
    views: changedRows(db, db.delete(tipViews).where(lt(tipViews.servedAt, cutoff))),
    events: purgeEvents(db, ["signals.tip.served", "signals.tip.feedback", "signals.tip.undone"], cutoff),
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
