import { and, desc, eq, gte, inArray, lt, type SQL, sql } from "drizzle-orm";
import { changedRows, type Db } from "../db/client.ts";
import { events } from "../db/schema.ts";
import type { Subject } from "./subjects.ts";

/** Served-tip events are indexed by their tip only, not by person (see the schema's note on `events`). */
export const INDEXED_BY_TIP_ONLY: Subject = "signals.tip.served";

/**
 * A person's events, as the events indexes are laid out: served-tip events through their tip
 * (`tipIds`: the person's tips, as a subquery), every other event by person. Each half is a term
 * its own index answers.
 */
export function personalEvents(userId: string, tipIds: SQL): SQL {
  // A literal, not a parameter: SQLite uses the partial person index only for a term it can match to the index's own.
  const servedSubject = sql.raw(`'${INDEXED_BY_TIP_ONLY}'`);
  return sql`(${events.subject} <> ${servedSubject} AND ${events.userId} = ${userId}) OR ${events.tipId} IN ${tipIds}`;
}

/** Forgets events of these subjects from before `cutoff` (retention); returns how many went. */
export function purgeEvents(db: Db, subjectsToPurge: Subject[], cutoff: number): number {
  return changedRows(db, db.delete(events).where(and(inArray(events.subject, subjectsToPurge), lt(events.at, cutoff))));
}

/**
 * Stored events newest first, a page before the event id `beforeId`: of one subject
 * (`events_subject_at_idx`), in a time range (`events_at_idx`), or one person's (`personal`, from
 * `personalEvents`).
 */
export function eventHistory(db: Db, filter: { subject?: string; personal?: SQL; from?: number; to?: number; beforeId?: number; limit: number }) {
  const conditions: (SQL | undefined)[] = [];
  if (filter.subject) conditions.push(eq(events.subject, filter.subject));
  if (filter.personal) conditions.push(filter.personal);
  if (filter.from !== undefined) conditions.push(gte(events.at, filter.from));
  if (filter.to !== undefined) conditions.push(lt(events.at, filter.to));
  if (filter.beforeId !== undefined) conditions.push(lt(events.id, filter.beforeId));
  return db
    .select({ id: events.id, subject: events.subject, userId: events.userId, payload: events.payload, at: events.at })
    .from(events)
    .where(and(...conditions))
    .orderBy(desc(events.id))
    .limit(filter.limit)
    .all();
}

/** How many events of `subject` were stored per UTC day since `since` (`events_subject_at_idx`). */
export function eventsPerDay(db: Db, subject: Subject, since: number): Map<string, number> {
  const day = sql<string>`strftime('%Y-%m-%d', ${events.at} / 1000, 'unixepoch')`;
  const rows = db
    .select({ day, n: sql<number>`count(*)` })
    .from(events)
    .where(and(eq(events.subject, subject), gte(events.at, since)))
    .groupBy(day)
    .all();
  return new Map(rows.map((row) => [row.day, row.n]));
}
