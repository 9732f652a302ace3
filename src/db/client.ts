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
  // WAL at 128 MB; a WAL file longer than this is trimmed when it rewinds, and fully on a clean close.
  sqlite.run("PRAGMA journal_size_limit = 201326592");
  sqlite.run("PRAGMA foreign_keys = ON");
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
