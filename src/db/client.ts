import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { drizzle } from "drizzle-orm/bun-sqlite";
import * as schema from "./schema.ts";

export type Db = ReturnType<typeof drizzle<typeof schema>>;

export interface DatabaseHandle {
  sqlite: Database;
  db: Db;
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
  // While serving, checkpoints run on a thread of their own (db/checkpointer.ts); the WAL is
  // truncated back to 64 MB at most after each, and fully on a clean close.
  sqlite.run("PRAGMA journal_size_limit = 67108864");
  sqlite.run("PRAGMA foreign_keys = ON");
  const db = drizzle({ client: sqlite, schema });
  return {
    sqlite,
    db,
    close() {
      sqlite.run("PRAGMA wal_checkpoint(TRUNCATE)");
      sqlite.close();
    },
  };
}
