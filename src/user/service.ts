import { eq, getTableColumns, is, type SQL, sql } from "drizzle-orm";
import { getTableConfig, SQLiteTable, type SQLiteColumn } from "drizzle-orm/sqlite-core";
import { sessionUserColumns } from "../auth/service.ts";
import { canonicalTimeZone } from "../time.ts";
import type { Db } from "../db/client.ts";
import * as schema from "../db/schema.ts";
import { events, tipViews, users, userTombstones } from "../db/schema.ts";
import type { EventBus } from "../events/bus.ts";
import { AppError } from "../http/errors.ts";
import type { Logger } from "../log.ts";

// ─── Profile ────────────────────────────────────────────────────────────────

export interface Profile {
  id: string;
  email: string | null;
  name: string | null;
  role: "user" | "admin";
  timezone: string;
  timezoneConfirmed: boolean;
  quietHoursStart: string;
  quietHoursEnd: string;
  pushOptIn: boolean;
}

export interface ProfileChanges {
  timezone?: string;
  quietHoursStart?: string;
  quietHoursEnd?: string;
  pushOptIn?: boolean;
}

const profileColumns = {
  ...sessionUserColumns,
  quietHoursStart: users.quietHoursStart,
  quietHoursEnd: users.quietHoursEnd,
  pushOptIn: users.pushOptIn,
};

export function profileOf(db: Db, userId: string): Profile {
  const profile = db.select(profileColumns).from(users).where(eq(users.id, userId)).get();
  if (!profile) throw new AppError(404, "not_found", "This account no longer exists.");
  return profile;
}

const CLOCK_TIME = /^([01]\d|2[0-3]):[0-5]\d$/;
const invalidProfile = (field: string, problem: string) => new AppError(400, "invalid_profile", `${field}: ${problem}`);

/**
 * Validates every change before writing any, so a bad field leaves the profile as it was.
 * Setting the timezone (from the browser or by hand) marks it confirmed.
 */
export function updateProfile(db: Db, userId: string, changes: ProfileChanges, now = Date.now()): Profile {
  const update: Partial<typeof users.$inferInsert> = {};
  if (changes.timezone !== undefined) {
    const timezone = canonicalTimeZone(changes.timezone);
    if (!timezone) throw invalidProfile("timezone", `"${changes.timezone.slice(0, 60)}" is not an IANA time zone such as Europe/Paris`);
    Object.assign(update, { timezone, timezoneConfirmed: true });
  }
  for (const field of ["quietHoursStart", "quietHoursEnd"] as const) {
    const value = changes[field];
    if (value === undefined) continue;
    if (!CLOCK_TIME.test(value)) throw invalidProfile(field, "use HH:MM on the 24-hour clock, such as 22:00");
    update[field] = value;
  }
  if (changes.pushOptIn !== undefined) update.pushOptIn = changes.pushOptIn;
  if (Object.keys(update).length > 0) db.update(users).set({ ...update, updatedAt: now }).where(eq(users.id, userId)).run();
  return profileOf(db, userId);
}

// ─── Schema walk: every table that holds rows about a person ────────────────

interface UserOwnedTable {
  name: string;
  table: SQLiteTable;
  columns: Record<string, SQLiteColumn>;
  /** The person's rows: by `user_id`, or through the parent row they belong to. */
  rowsOf: (userId: string) => SQL;
  /** The parent table, for rows that belong to the person through it. */
  through: string | null;
}

/**
 * Found by walking the schema rather than listed by hand, so a table added later with a `user_id`
 * column, or with a foreign key to such a table (rows that belong to the person through their
 * parent, like a tip's decision rows), is exported and erased without anyone remembering to add it.
 */
export const userOwnedTables: UserOwnedTable[] = (() => {
  const tables = (Object.values(schema) as unknown[]).filter((value): value is SQLiteTable => is(value, SQLiteTable));
  const userIdOf = new Map<SQLiteTable, SQLiteColumn>();
  for (const table of tables) {
    const userId = Object.values(getTableColumns(table) as Record<string, SQLiteColumn>).find((column) => column.name === "user_id");
    if (userId) userIdOf.set(table, userId);
  }
  return tables.flatMap((table): UserOwnedTable[] => {
    const columns = getTableColumns(table) as Record<string, SQLiteColumn>;
    const config = getTableConfig(table);
    if (table === events) return [{ name: config.name, table, columns, rowsOf: eventsOf, through: "tip_views" }];
    const userId = userIdOf.get(table);
    if (userId) return [{ name: config.name, table, columns, rowsOf: (id) => eq(userId, id), through: null }];
    for (const foreignKey of config.foreignKeys) {
      const { columns: [child], foreignColumns: [key], foreignTable } = foreignKey.reference();
      const parentUserId = userIdOf.get(foreignTable);
      if (!child || !key || !parentUserId) continue;
      return [
        {
          name: config.name,
          table,
          columns,
          rowsOf: (id) => sql`${child} IN (SELECT ${key} FROM ${foreignTable} WHERE ${parentUserId} = ${id})`,
          through: getTableConfig(foreignTable).name,
        },
      ];
    }
    return [];
  });
})();

/**
 * A person's events: tip events through their tip, every other event by person, as the events
 * indexes are laid out (see the schema). Each half is a term its own index answers.
 */
function eventsOf(userId: string): SQL {
  return sql`(${events.subject} <> 'signals.tip.served' AND ${events.userId} = ${userId})
    OR ${events.tipId} IN (SELECT ${tipViews.id} FROM ${tipViews} WHERE ${tipViews.userId} = ${userId})`;
}

/** Columns holding secrets or their derivatives (token hashes, ciphertexts) by their SQL name. */
const SECRET_COLUMN = /(hash|ciphertext|secret|password|token)$/;
export const WITHHELD = "[withheld: secret]";

function withoutSecrets(row: Record<string, unknown>, columns: Record<string, SQLiteColumn>): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    copy[key] = value !== null && SECRET_COLUMN.test(columns[key]?.name ?? key) ? WITHHELD : value;
  }
  return copy;
}

/** Everything stored about the person, table by table, secrets withheld. */
export function exportAccount(db: Db, userId: string, now = Date.now()) {
  const userColumns = getTableColumns(users) as Record<string, SQLiteColumn>;
  const user = db.select().from(users).where(eq(users.id, userId)).get();
  if (!user) throw new AppError(404, "not_found", "This account no longer exists.");
  const tables: Record<string, Record<string, unknown>[]> = {};
  for (const owned of userOwnedTables) {
    const rows = db.select().from(owned.table).where(owned.rowsOf(userId)).all() as Record<string, unknown>[];
    tables[owned.name] = rows.map((row) => withoutSecrets(row, owned.columns));
  }
  return { exportedAt: new Date(now).toISOString(), user: withoutSecrets(user, userColumns), tables };
}

// ─── Deletion ───────────────────────────────────────────────────────────────

/** Revokes what a module holds at a provider for this person (e.g. an OAuth grant). */
export type AccountDeletionHook = (userId: string) => Promise<void> | void;

const HOOK_TIMEOUT_MS = 10_000;

/**
 * Modules register what must happen outside oO when an account is erased. Hooks run before the
 * rows go (they may need a stored token), each best-effort: a provider that is down must not keep
 * a person from leaving.
 */
export class AccountDeletionHooks {
  private readonly hooks = new Map<string, AccountDeletionHook>();

  register(name: string, hook: AccountDeletionHook): void {
    if (this.hooks.has(name)) throw new Error(`account deletion hook ${name} is already registered`);
    this.hooks.set(name, hook);
  }

  async run(userId: string, log: Logger): Promise<void> {
    for (const [name, hook] of this.hooks) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${HOOK_TIMEOUT_MS / 1000} s`)), HOOK_TIMEOUT_MS);
      });
      try {
        await Promise.race([Promise.resolve().then(() => hook(userId)), timeout]);
      } catch (error) {
        // The reason only: a hook's arguments and results may hold a provider token.
        log.warn({ hook: name, userId, reason: error instanceof Error ? error.message : String(error) }, "account deletion hook failed; deleting anyway");
      } finally {
        clearTimeout(timer);
      }
    }
  }
}

export interface AccountDeletionDeps {
  db: Db;
  bus: EventBus;
  log: Logger;
  hooks: AccountDeletionHooks;
}

/**
 * Erases the person: provider hooks, then in one transaction every row in every user-owned table
 * (sessions included, so they end at once), the user row, and a tombstone of id and time in its
 * place. Safe to call again: an account that is already gone returns false.
 */
export async function deleteAccount({ db, bus, log, hooks }: AccountDeletionDeps, userId: string, now = Date.now()): Promise<boolean> {
  if (!db.select({ id: users.id }).from(users).where(eq(users.id, userId)).get()) return false;
  await hooks.run(userId, log);
  const deleted = db.transaction(() => {
    // Rows owned through a parent go first, while the parent rows that lead to them still exist.
    for (const owned of userOwnedTables.toSorted((a, b) => Number(b.through !== null) - Number(a.through !== null))) {
      db.delete(owned.table).where(owned.rowsOf(userId)).run();
    }
    const gone = db.delete(users).where(eq(users.id, userId)).returning({ id: users.id }).get();
    if (!gone) return false;
    db.insert(userTombstones).values({ id: userId, deletedAt: now }).onConflictDoNothing().run();
    return true;
  });
  if (!deleted) return false;
  // Published without a user_id, so no per-user row survives; the payload keeps the bare id, as the tombstone does.
  bus.publish("account.deleted", { userId });
  log.info({ userId }, "account deleted");
  return true;
}
