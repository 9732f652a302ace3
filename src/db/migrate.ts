import type { Database } from "bun:sqlite";
import { embeddedMigrations } from "./migrations.gen.ts";
import { reasonOf } from "../errors.ts";

export interface Migration {
  tag: string;
  sql: string;
}

export class MigrationError extends Error {
  constructor(
    readonly tag: string,
    cause: string,
  ) {
    super(`migration ${tag} failed: ${cause}; the database was left unchanged`);
  }
}

const hashOf = (sql: string) => new Bun.CryptoHasher("sha256").update(sql).digest("hex");

/**
 * Applies every pending migration in one transaction: all of them land, or none.
 * drizzle-kit's table rebuilds issue `PRAGMA foreign_keys=OFF` inside the transaction, where SQLite
 * ignores it, so a `DROP TABLE` would cascade into child tables. Foreign keys are therefore switched
 * off on the connection first and verified with `foreign_key_check` before commit.
 */
export function migrate(sqlite: Database, migrations: Migration[] = embeddedMigrations): string[] {
  const known = sqlite
    .query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
    .get();
  const applied = new Map<string, string>(
    known
      ? sqlite
          .query<{ tag: string; hash: string }, []>("SELECT tag, hash FROM schema_migrations")
          .all()
          .map((row) => [row.tag, row.hash])
      : [],
  );
  for (const migration of migrations) {
    const hash = applied.get(migration.tag);
    if (hash && hash !== hashOf(migration.sql)) {
      throw new MigrationError(migration.tag, "it was edited after it had been applied");
    }
  }
  const pending = migrations.filter((migration) => !applied.has(migration.tag));
  if (pending.length === 0) return [];

  sqlite.run("PRAGMA foreign_keys = OFF");
  let current = pending[0]!.tag;
  try {
    sqlite.run("BEGIN IMMEDIATE");
    sqlite.run(
      "CREATE TABLE IF NOT EXISTS schema_migrations (tag TEXT PRIMARY KEY NOT NULL, hash TEXT NOT NULL, applied_at INTEGER NOT NULL)",
    );
    for (const migration of pending) {
      current = migration.tag;
      for (const statement of migration.sql.split("--> statement-breakpoint")) {
        if (statement.trim()) sqlite.run(statement);
      }
      sqlite.run("INSERT INTO schema_migrations (tag, hash, applied_at) VALUES (?, ?, ?)", [
        migration.tag,
        hashOf(migration.sql),
        Date.now(),
      ]);
    }
    const violations = sqlite.query("PRAGMA foreign_key_check").all();
    if (violations.length > 0) throw new Error(`${violations.length} foreign key violation(s)`);
    sqlite.run("COMMIT");
  } catch (error) {
    if (sqlite.inTransaction) sqlite.run("ROLLBACK");
    throw new MigrationError(current, reasonOf(error));
  } finally {
    sqlite.run("PRAGMA foreign_keys = ON");
  }
  return pending.map((migration) => migration.tag);
}
