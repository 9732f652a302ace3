import { and, asc, desc, eq, inArray, lt, or, sql } from "drizzle-orm";
import type { SessionUser } from "../auth/model.ts";
import type { Db } from "../db/client.ts";
import { users, userTombstones } from "../db/schema.ts";
import type { Profile, ProfileChanges } from "./model.ts";

/**
 * The `users` and `user_tombstones` rows: the user module owns them, and sign-in (auth) creates
 * and finds people through these functions. drizzle's bun-sqlite transactions run on the one
 * synchronous connection, so these may be called inside another module's `db.transaction`.
 */

/** The `users` columns behind a `SessionUser`. */
const sessionUserColumns = {
  id: users.id,
  email: users.email,
  name: users.name,
  role: users.role,
  timezone: users.timezone,
  timezoneConfirmed: users.timezoneConfirmed,
};

const profileColumns = {
  ...sessionUserColumns,
  quietHoursStart: users.quietHoursStart,
  quietHoursEnd: users.quietHoursEnd,
  pushOptIn: users.pushOptIn,
};

export function sessionUserOf(db: Db, userId: string): SessionUser | undefined {
  return db.select(sessionUserColumns).from(users).where(eq(users.id, userId)).get();
}

/** `sessionUserOf` prepared once, for the session check every signed-in request makes. */
export function preparedSessionUserLookup(db: Db): (userId: string) => SessionUser | undefined {
  const query = db.select(sessionUserColumns).from(users).where(eq(users.id, sql.placeholder("userId"))).prepare();
  return (userId) => query.get({ userId });
}

export function profileRowOf(db: Db, userId: string): Profile | undefined {
  return db.select(profileColumns).from(users).where(eq(users.id, userId)).get();
}

export function exists(db: Db, userId: string): boolean {
  return db.select({ id: users.id }).from(users).where(eq(users.id, userId)).get() !== undefined;
}

/** The owner is the oldest admin account. */
export function findOwner(db: Db): string | undefined {
  return db.select({ id: users.id }).from(users).where(eq(users.role, "admin")).orderBy(asc(users.createdAt)).limit(1).get()?.id;
}

export function createUser(
  db: Db,
  person: { email?: string | null; name: string | null; role?: SessionUser["role"] },
  now = Date.now(),
): string {
  const id = crypto.randomUUID();
  db.insert(users)
    .values({ id, email: person.email ?? null, name: person.name, role: person.role ?? "user", createdAt: now, updatedAt: now })
    .run();
  return id;
}

/** A sign-in brought fresher details: the email always, the name when the provider gave one. */
export function refreshIdentityDetails(db: Db, userId: string, details: { email: string; name: string | null }, now = Date.now()): void {
  const name = details.name ? { name: details.name } : {};
  db.update(users).set({ email: details.email, ...name, updatedAt: now }).where(eq(users.id, userId)).run();
}

export function updateProfileRow(db: Db, userId: string, changes: ProfileChanges & { timezoneConfirmed?: boolean }, now = Date.now()): void {
  if (Object.keys(changes).length > 0) db.update(users).set({ ...changes, updatedAt: now }).where(eq(users.id, userId)).run();
}

/** The user row goes and a tombstone of id and time takes its place; false when it was gone already. */
export function replaceWithTombstone(db: Db, userId: string, now = Date.now()): boolean {
  const gone = db.delete(users).where(eq(users.id, userId)).returning({ id: users.id }).get();
  if (!gone) return false;
  db.insert(userTombstones).values({ id: userId, deletedAt: now }).onConflictDoNothing().run();
  return true;
}

/** Each person's email, for lists that show who a row belongs to. */
export function emailsOf(db: Db, userIds: string[]): Map<string, string | null> {
  if (userIds.length === 0) return new Map();
  const rows = db.select({ id: users.id, email: users.email }).from(users).where(inArray(users.id, userIds)).all();
  return new Map(rows.map((row) => [row.id, row.email]));
}

/** Everyone who asked for pushes, with what deciding one needs: their zone and quiet hours. */
export function pushRecipients(db: Db) {
  return db
    .select({ id: users.id, timezone: users.timezone, quietHoursStart: users.quietHoursStart, quietHoursEnd: users.quietHoursEnd })
    .from(users)
    .where(eq(users.pushOptIn, true))
    .all();
}

/** One person as the console lists them. */
export interface UserListing {
  id: string;
  email: string | null;
  name: string | null;
  role: "user" | "admin";
  createdAt: number;
}

/**
 * People newest first, `limit` at a time after the cursor (the last one's created time and id), by
 * `users_created_idx`; with a search, those whose id is it or whose email or name contains it
 * (a scan of the table, stopped at the page's end: fine for the thousands an instance holds).
 */
export function searchUsers(db: Db, options: { search?: string; after?: { createdAt: number; id: string }; limit: number }): UserListing[] {
  const conditions = [];
  if (options.search) {
    const pattern = `%${options.search.replace(/[\\%_]/g, (match) => `\\${match}`)}%`;
    conditions.push(or(eq(users.id, options.search), sql`${users.email} LIKE ${pattern} ESCAPE '\\'`, sql`${users.name} LIKE ${pattern} ESCAPE '\\'`));
  }
  if (options.after) {
    const { createdAt, id } = options.after;
    conditions.push(or(lt(users.createdAt, createdAt), and(eq(users.createdAt, createdAt), lt(users.id, id))));
  }
  return db
    .select({ id: users.id, email: users.email, name: users.name, role: users.role, createdAt: users.createdAt })
    .from(users)
    .where(and(...conditions))
    .orderBy(desc(users.createdAt), desc(users.id))
    .limit(options.limit)
    .all();
}
