import type { Database } from "bun:sqlite";

/**
 * The live database's view of "rows about a person", read from SQLite itself rather than from the
 * drizzle schema the code walks: every column named `user_id` and every column with a foreign key
 * to `users`. A table added by a later migration is covered without touching the tests.
 */
export function userReferences(sqlite: Database): { table: string; column: string }[] {
  const tables = sqlite
    .query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .all()
    .map((row) => row.name);
  const references = new Map<string, { table: string; column: string }>();
  for (const table of tables) {
    for (const column of sqlite.query<{ name: string }, []>(`PRAGMA table_info("${table}")`).all()) {
      if (column.name === "user_id") references.set(`${table}.user_id`, { table, column: "user_id" });
    }
    for (const key of sqlite.query<{ table: string; from: string }, []>(`PRAGMA foreign_key_list("${table}")`).all()) {
      if (key.table === "users") references.set(`${table}.${key.from}`, { table, column: key.from });
    }
  }
  return [...references.values()];
}

let sequence = 0;

/**
 * Inserts one row for `userId` into every table that references users, every column filled so that
 * nullable secrets (refresh tokens, ciphertexts) are present too. Text values are JSON strings, valid
 * both as plain text and for JSON-mode columns, and carry a `seed:<table>.<column>:<userId>` marker.
 * Foreign keys other than the user's are not this helper's business, so they are off while seeding.
 */
export function seedEveryUserTable(sqlite: Database, userId: string): Map<string, Record<string, string | number>> {
  const seeded = new Map<string, Record<string, string | number>>();
  sqlite.run("PRAGMA foreign_keys = OFF");
  try {
    for (const { table } of userReferences(sqlite)) {
      if (seeded.has(table)) continue;
      const userColumns = new Set(userReferences(sqlite).filter((reference) => reference.table === table).map((reference) => reference.column));
      const row: Record<string, string | number> = {};
      for (const column of sqlite.query<{ name: string; type: string }, []>(`PRAGMA table_info("${table}")`).all()) {
        const type = column.type.toUpperCase();
        if (userColumns.has(column.name)) row[column.name] = userId;
        else if (type.includes("INT")) row[column.name] = 1_000_000 + ++sequence;
        else if (type.includes("REAL")) row[column.name] = 0.5;
        else row[column.name] = JSON.stringify(`seed:${table}.${column.name}:${userId}:${++sequence}`);
      }
      const columns = Object.keys(row);
      sqlite
        .query(`INSERT INTO "${table}" (${columns.map((name) => `"${name}"`).join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`)
        .run(...(Object.values(row) as (string | number)[]));
      seeded.set(table, row);
    }
  } finally {
    sqlite.run("PRAGMA foreign_keys = ON");
  }
  return seeded;
}
