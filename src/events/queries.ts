import { and, desc, eq, gte, inArray, lt, type SQL } from "drizzle-orm";
import { changedRows, type Db } from "../db/client.ts";
import { events } from "../db/schema.ts";
import type { Subject } from "./subjects.ts";

/** Forgets events of these subjects from before `cutoff` (retention); returns how many went. */
export function purgeEvents(db: Db, subjectsToPurge: Subject[], cutoff: number): number {
  return changedRows(db, db.delete(events).where(and(inArray(events.subject, subjectsToPurge), lt(events.at, cutoff))));
}

/**
 * Stored events newest first, a page before the event id `beforeId`: of one subject
 * (`events_subject_id_idx`), one person's (`events_user_id_idx`), or in a time range (`events_at_idx`).
 */
export function eventHistory(db: Db, filter: { subject?: string; userId?: string; from?: number; to?: number; beforeId?: number; limit: number }) {
  const conditions: (SQL | undefined)[] = [];
  if (filter.subject) conditions.push(eq(events.subject, filter.subject));
  if (filter.userId) conditions.push(eq(events.userId, filter.userId));
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
