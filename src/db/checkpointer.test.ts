import { describe, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../testing/harness.ts";
import { startCheckpointer } from "./checkpointer.ts";
import { openDatabase } from "./client.ts";

function notesDatabase(path: string) {
  const database = openDatabase(path);
  database.sqlite.run("PRAGMA wal_autocheckpoint = 0");
  database.sqlite.run("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)");
  return { database, insert: database.sqlite.query("INSERT INTO notes (text) VALUES (?)") };
}

describe("background checkpoints", () => {
  test("a worker thread folds the WAL into the database file while this connection writes on", async () => {
    const dir = tempDir();
    try {
      const path = join(dir.path, "oo.db");
      const { database, insert } = notesDatabase(path);
      database.sqlite.transaction(() => {
        for (let n = 0; n < 2000; n++) insert.run("x".repeat(500));
      })();
      const before = statSync(path).size;
      const errors: string[] = [];
      const checkpointer = startCheckpointer(path, { intervalMs: 20, commits: database.commits, onError: (message) => errors.push(message) });
      const deadline = Date.now() + 5000;
      while (statSync(path).size <= before && Date.now() < deadline) await Bun.sleep(20);
      // Writes go on while the worker checkpoints.
      insert.run("after");
      await checkpointer.stop();
      expect(errors).toEqual([]);
      expect(statSync(path).size).toBeGreaterThan(before + 500_000);
      expect(database.sqlite.query("SELECT count(*) AS n FROM notes").get()).toEqual({ n: 2001 });
      database.close();
    } finally {
      dir.cleanup();
    }
  });

  test("under steady group commits the WAL keeps starting over instead of growing without end", async () => {
    const dir = tempDir();
    try {
      const path = join(dir.path, "oo.db");
      const { database, insert } = notesDatabase(path);
      const errors: string[] = [];
      const checkpointer = startCheckpointer(path, {
        intervalMs: 5,
        commits: database.commits,
        onError: (message) => errors.push(message),
        rewindAfterFrames: 1024,
      });
      const row = "x".repeat(4000);
      let rows = 0;
      const started = Date.now();
      while (Date.now() - started < 1500) {
        await Promise.all(Array.from({ length: 16 }, () => database.commits.write(() => insert.run(row))));
        rows += 16;
      }
      await checkpointer.stop();
      // Each row fills about a page; without the rewinds the WAL would hold a frame for every one.
      const { log } = database.sqlite.query<{ log: number }, []>("PRAGMA wal_checkpoint(PASSIVE)").get()!;
      expect(rows).toBeGreaterThan(2000);
      expect(log).toBeLessThan(rows / 4);
      expect(errors).toEqual([]);
      expect(database.sqlite.query("SELECT count(*) AS n FROM notes").get()).toEqual({ n: rows });
      database.close();
    } finally {
      dir.cleanup();
    }
  });
});
