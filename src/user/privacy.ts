import { eq, getTableColumns, is, type SQL, sql } from "drizzle-orm";
import { getTableConfig, SQLiteTable, type SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Db } from "../db/client.ts";
// The one sanctioned reader of every table (see src/README.md): export and erasure are defined
// over the whole schema, so a table added later is covered without anyone remembering to add it.
import * as schema from "../db/schema.ts";
import { AppError } from "../errors.ts";
import type { EventBus } from "../events/bus.ts";
import type { Logger } from "../log.ts";
import type { AccountDeletionHooks } from "./deletion.ts";
import { exists, replaceWithTombstone } from "./queries.ts";

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

/** Columns holding secrets or their derivatives (token hashes, ciphertexts) by their SQL name. */
const SECRET_COLUMN = /(hash|ciphertext|secret|password|token)$/;
export const WITHHELD = "[withheld: secret]";

/** A row as the export shows it: secrets withheld, binary columns (a decision's context) in base64. */
function withoutSecrets(row: Record<string, unknown>, columns: Record<string, SQLiteColumn>): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    if (value !== null && SECRET_COLUMN.test(columns[key]?.name ?? key)) copy[key] = WITHHELD;
    else copy[key] = value instanceof Uint8Array ? Buffer.from(value).toString("base64") : value;
  }
  return copy;
}

/** Everything stored about the person, table by table, secrets withheld. */
export function exportAccount(db: Db, userId: string, now = Date.now()) {
  const userColumns = getTableColumns(schema.users) as Record<string, SQLiteColumn>;
  const user = db.select().from(schema.users).where(eq(schema.users.id, userId)).get();
  if (!user) throw new AppError("not_found", "not_found", "This account no longer exists.");
  const tables: Record<string, Record<string, unknown>[]> = {};
  for (const owned of userOwnedTables) {
    const rows = db.select().from(owned.table).where(owned.rowsOf(userId)).all() as Record<string, unknown>[];
    tables[owned.name] = rows.map((row) => withoutSecrets(row, owned.columns));
  }
  return { exportedAt: new Date(now).toISOString(), user: withoutSecrets(user, userColumns), tables };
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
  if (!exists(db, userId)) return false;
  await hooks.run(userId, log);
  const deleted = db.transaction(() => {
    // Rows owned through a parent go first, while the parent rows that lead to them still exist.
    for (const owned of userOwnedTables.toSorted((a, b) => Number(b.through !== null) - Number(a.through !== null))) {
      db.delete(owned.table).where(owned.rowsOf(userId)).run();
    }
    return replaceWithTombstone(db, userId, now);
  });
  if (!deleted) return false;
  // Published without a user_id, so no per-user row survives; the payload keeps the bare id, as the tombstone does.
  bus.publish("account.deleted", { userId });
  log.info({ userId }, "account deleted");
  return true;
}
