import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { getPriority } from "node:os";
import { join } from "node:path";
import { tempDir } from "../testing/harness.ts";
import { CHECKPOINT_NICE, type CheckpointResult, checkpointRound, rewindPatience, startCheckpointer } from "./checkpointer.ts";
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

  test.if(process.platform === "linux")("the worker thread runs nicer than the thread that serves requests", async () => {
    /** The nice value of each of this process's threads (field 19 of /proc/self/task/<tid>/stat). */
    const niceValues = () =>
      readdirSync("/proc/self/task").flatMap((tid) => {
        try {
          return [Number(readFileSync(`/proc/self/task/${tid}/stat`, "utf8").split(") ")[1]!.split(" ")[16])];
        } catch {
          return []; // the thread ended between the listing and the read
        }
      });
    const dir = tempDir();
    try {
      const path = join(dir.path, "oo.db");
      const { database } = notesDatabase(path);
      const servingNice = getPriority();
      const checkpointer = startCheckpointer(path, { intervalMs: 60_000, commits: database.commits, onError: () => {} });
      expect(await checkpointer.round()).not.toBeNull();
      // Threads the worker starts inherit its nice value, so there may be more than one.
      expect(niceValues()).toContain(CHECKPOINT_NICE);
      expect(getPriority()).toBe(servingNice);
      await checkpointer.stop();
      database.close();
    } finally {
      dir.cleanup();
    }
  });

  test("under steady group commits a round leaves the WAL to start over instead of growing without end", async () => {
    const dir = tempDir();
    try {
      const path = join(dir.path, "oo.db");
      const { database, insert } = notesDatabase(path);
      const errors: string[] = [];
      const checkpointer = startCheckpointer(path, {
        intervalMs: 60_000,
        commits: database.commits,
        onError: (message) => errors.push(message),
        rewindAfterFrames: 1024,
        // A slow test disk must not make the held pass give way: this test is about the rewind itself
        // (the round may then take these 5 s, hence the test's own longer timeout).
        rewindHoldMs: 5_000,
      });
      const row = "x".repeat(4000);
      let rows = 0;
      let writing = true;
      // Commits keep landing all through the round, as under load; a breath between batches, so a
      // slow shared disk still lets a pass catch up with them (flat out, a pass never ends there).
      const writer = (async () => {
        while (writing) {
          await Promise.all(Array.from({ length: 16 }, () => database.commits.write(() => insert.run(row))));
          rows += 16;
          await Bun.sleep(1);
        }
      })();
      while (rows < 2000) await Bun.sleep(10);
      const round = await checkpointer.round();
      writing = false;
      await writer;
      await checkpointer.stop();
      expect(errors).toEqual([]);
      // The held pass copied every frame, so the next commit started the WAL over: it holds only the
      // last batch or two, where without the rewind it would hold a frame for every row (~a page each).
      expect(round!.checkpointed).toBe(round!.log);
      expect(round!.log).toBeGreaterThan(2000);
      const { log } = database.sqlite.query<{ log: number }, []>("PRAGMA wal_checkpoint(PASSIVE)").get()!;
      expect(log).toBeLessThan(200);
      expect(database.sqlite.query("SELECT count(*) AS n FROM notes").get()).toEqual({ n: rows });
      database.close();
    } finally {
      dir.cleanup();
    }
  }, 20_000);
});

describe("a rewind's hold", () => {
  /** A pass that takes `ms` and reports a WAL of `log` frames, all copied. */
  const passOf = (log: number, ms: number) => async (): Promise<CheckpointResult> => {
    await Bun.sleep(ms);
    return { busy: 0, log, checkpointed: log };
  };

  /**
   * A round over a WAL of `log` frames (the rewind length is 1,000, the hold 20 ms there) whose
   * passes take `durations` ms in turn, with five commits queued while it runs: what the round
   * resolved with, how many passes it ran, and how long each commit waited.
   */
  async function roundWithCommits(log: number, durations: number[]) {
    const { database, insert } = notesDatabase(":memory:");
    let calls = 0;
    const pass = () => passOf(log, durations[calls++] ?? 0)();
    const round = checkpointRound(pass, database.commits, { rewindAfterFrames: 1_000, rewindHoldMs: 20 });
    await Bun.sleep(5);
    const waits = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const queued = performance.now();
        await database.commits.write(() => insert.run("x"));
        return performance.now() - queued;
      }),
    );
    const result = await round;
    database.close();
    return { result, passes: calls, waits };
  }

  test("lets the commits go when the held pass runs over, and the round reports no result", async () => {
    // The bulk pass leaves a long WAL; the quick pass is calm; the held pass then takes 300 ms.
    const { result, passes, waits } = await roundWithCommits(1_000, [0, 0, 300]);
    expect(result).toBeNull();
    expect(passes).toBe(3);
    // Held for about 20 ms, not the pass's 300.
    expect(Math.max(...waits)).toBeLessThan(150);
  });

  test("grows more patient the longer the WAL: past a few lengths the commits wait for the held pass", async () => {
    expect(rewindPatience(1_000, 1_000, 8)).toBe(8);
    expect(rewindPatience(2_000, 1_000, 8)).toBe(32);
    expect(rewindPatience(3_000, 1_000, 8)).toBe(128);
    expect(rewindPatience(5_000, 1_000, 8)).toBe(1_000);
    // 20 ms at one length, 20 × 4³ ms at four: the 300 ms pass is waited for.
    const { result, waits } = await roundWithCommits(4_000, [0, 0, 300]);
    expect(result).toEqual({ busy: 0, log: 4_000, checkpointed: 4_000 });
    expect(Math.min(...waits)).toBeGreaterThan(200);
  });

  test("is not taken while the WAL is short", async () => {
    const { result, passes, waits } = await roundWithCommits(999, [50]);
    expect(result).toEqual({ busy: 0, log: 999, checkpointed: 999 });
    expect(passes).toBe(1);
    expect(Math.max(...waits)).toBeLessThan(40);
  });
});

describe("a checkpointer that cannot open the database", () => {
  test("reports it on every round instead of failing silently", async () => {
    const dir = tempDir();
    try {
      const { database } = notesDatabase(join(dir.path, "oo.db"));
      const errors: string[] = [];
      const checkpointer = startCheckpointer(join(dir.path, "missing", "oo.db"), {
        intervalMs: 60_000,
        commits: database.commits,
        onError: (message) => errors.push(message),
      });
      expect(await checkpointer.round()).toBeNull();
      await checkpointer.stop();
      expect(errors).toContain("the checkpoint connection is not open");
      database.close();
    } finally {
      dir.cleanup();
    }
  });
});
