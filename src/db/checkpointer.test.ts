import { describe, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../testing/harness.ts";
import { startCheckpointer } from "./checkpointer.ts";
import { openDatabase } from "./client.ts";

describe("background checkpoints", () => {
  test("a worker thread folds the WAL into the database file while this connection writes on", async () => {
    const dir = tempDir();
    try {
      const path = join(dir.path, "oo.db");
      const database = openDatabase(path);
      database.sqlite.run("PRAGMA wal_autocheckpoint = 0");
      database.sqlite.run("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)");
      const insert = database.sqlite.query("INSERT INTO notes (text) VALUES (?)");
      database.sqlite.transaction(() => {
        for (let n = 0; n < 2000; n++) insert.run("x".repeat(500));
      })();
      const before = statSync(path).size;
      const errors: string[] = [];
      const checkpointer = startCheckpointer(path, 20, (message) => errors.push(message));
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
});
