import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { drizzle } from "drizzle-orm/bun-sqlite";
import { GroupCommit } from "./group-commit.ts";
import * as schema from "./schema.ts";

export type Db = ReturnType<typeof drizzle<typeof schema>>;

export interface DatabaseHandle {
  sqlite: Database;
  db: Db;
  /** The shared queue for writes on the hot path that commit together (see GroupCommit). */
  commits: GroupCommit;
  /** Checkpoints the WAL into the main file and closes, so a copy of the one file is a full backup. */
  close(): void;
}

/** Opens (creating when needed) the SQLite file with the pragmas oO relies on. ":memory:" works for tests. */
export function openDatabase(path: string): DatabaseHandle {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const sqlite = new Database(path, { create: true, strict: true });
  sqlite.run("PRAGMA journal_mode = WAL");
  // bun:sqlite leaves WAL databases at synchronous=FULL, which makes every commit fsync.
  sqlite.run("PRAGMA synchronous = NORMAL");
  sqlite.run("PRAGMA busy_timeout = 5000");
  // While serving, checkpoints run on a thread of their own (db/checkpointer.ts), which rewinds the
  // WAL from 128 MB on, waiting longer for it the longer the WAL grows (up to a second by 576 MB). A
  // WAL file longer than this limit is trimmed when it rewinds, which stalls that commit (about
  // 40 ms per 200 MB); a clean close empties it.
  sqlite.run("PRAGMA journal_size_limit = 671088640");
  sqlite.run("PRAGMA foreign_keys = ON");
  // What is deleted is overwritten, not left readable in free pages: an erased account is erased
  // from the file too.
  sqlite.run("PRAGMA secure_delete = ON");
  const db = drizzle({ client: sqlite, schema });
  return {
    sqlite,
    db,
    commits: new GroupCommit(sqlite),
    close() {
      sqlite.run("PRAGMA wal_checkpoint(TRUNCATE)");
      sqlite.close();
    },
  };
}

/** Runs a built write statement and returns how many rows it changed (drizzle's bun-sqlite `run` does not say). */
export function changedRows(db: Db, query: { toSQL(): { sql: string; params: unknown[] } }): number {
  const { sql, params } = query.toSQL();
  return db.$client.run(sql, params as never[]).changes;
}
