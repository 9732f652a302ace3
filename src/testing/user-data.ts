import type { Database } from "bun:sqlite";

export interface UserReference {
  table: string;
  column: string;
  /** Matches the person's rows, with the user id as its one parameter. */
  where: string;
  /** For rows that belong to the person through a parent row: that parent's table and key column. */
  parent?: { table: string; column: string };
}

/**
 * The live database's view of "rows about a person", read from SQLite itself rather than from the
 * drizzle schema the code walks: every column named `user_id`, every column with a foreign key to
 * `users`, and every foreign key to a table that has either (rows that belong to the person through
 * their parent row). A table added by a later migration is covered without touching the tests.
 */
export function userReferences(sqlite: Database): UserReference[] {
  const tables = sqlite
    .query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .all()
    .map((row) => row.name);
  const foreignKeys = (table: string) => sqlite.query<{ table: string; from: string; to: string }, []>(`PRAGMA foreign_key_list("${table}")`).all();
  const direct = new Map<string, UserReference>();
  for (const table of tables) {
    for (const column of sqlite.query<{ name: string }, []>(`PRAGMA table_info("${table}")`).all()) {
      if (column.name === "user_id") direct.set(`${table}.user_id`, { table, column: "user_id", where: `"user_id" = ?` });
    }
    for (const key of foreignKeys(table)) {
      if (key.table === "users") direct.set(`${table}.${key.from}`, { table, column: key.from, where: `"${key.from}" = ?` });
    }
  }
  const through: UserReference[] = [];
  for (const table of tables) {
    for (const key of foreignKeys(table)) {
      const owner = [...direct.values()].find((reference) => reference.table === key.table && key.table !== table);
      if (!owner || key.table === "users") continue;
      through.push({
        table,
        column: key.from,
        where: `"${key.from}" IN (SELECT "${key.to}" FROM "${key.table}" WHERE "${owner.column}" = ?)`,
        parent: { table: key.table, column: key.to },
      });
    }
  }
  return [...direct.values(), ...through];
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
  const references = userReferences(sqlite);
  sqlite.run("PRAGMA foreign_keys = OFF");
  try {
    // Parents first, so a child row can point at its parent's seeded key.
    const tables = [...new Set(references.map((reference) => reference.table))];
    const parentsOf = (table: string) => references.filter((reference) => reference.table === table && reference.parent).map((reference) => reference.parent!.table);
    const ordered: string[] = [];
    while (ordered.length < tables.length) {
      const ready = tables.filter((table) => !ordered.includes(table) && parentsOf(table).every((parent) => ordered.includes(parent) || !tables.includes(parent)));
      if (ready.length === 0) throw new Error("user tables reference each other in a cycle");
      ordered.push(...ready);
    }
    for (const table of ordered) {
      const mine = references.filter((reference) => reference.table === table);
      const row: Record<string, string | number> = {};
      for (const column of sqlite.query<{ name: string; type: string }, []>(`PRAGMA table_info("${table}")`).all()) {
        const type = column.type.toUpperCase();
        const reference = mine.find((candidate) => candidate.column === column.name);
        if (reference?.parent) row[column.name] = seeded.get(reference.parent.table)![reference.parent.column]!;
        else if (reference) row[column.name] = userId;
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
