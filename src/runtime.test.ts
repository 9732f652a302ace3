import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { captureLogger, tempDir, testConfig } from "./testing/harness.ts";
import { createRuntime } from "./runtime.ts";

async function until(condition: () => boolean, what: string) {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

describe("the runtime", () => {
  test("building it migrates the database and spawns nothing; start starts the scorer and the timers; stop ends all of it", async () => {
    const dir = tempDir();
    try {
      const { log } = captureLogger();
      const config = testConfig({ DATA_DIR: dir.path, PYTHON: "python3" });
      const runtime = createRuntime(config, log);
      expect(runtime.migrations.length).toBeGreaterThan(0);
      expect(existsSync(config.databasePath)).toBe(true);
      expect(runtime.scorer.status().state).toBe("stopped");
      expect(existsSync(join(dir.path, "ml"))).toBe(false);
      expect(runtime.jobs.status().every((job) => job.nextRunAt === null)).toBe(true);
      // Every module registered its jobs on the one runner.
      expect(runtime.jobs.status().map((job) => job.name)).toEqual(
        expect.arrayContaining(["outbox.drain", "sessions.purge-expired", "retention", "bandit-backlog", "todoist.sync"]),
      );

      runtime.start();
      await until(() => runtime.scorer.status().state === "up", "the scorer");
      expect(runtime.jobs.status().every((job) => job.nextRunAt !== null || job.running || job.runs > 0)).toBe(true);

      await runtime.stop();
      expect(runtime.scorer.status().state).toBe("closed");
      expect(runtime.jobs.status().every((job) => job.nextRunAt === null && !job.running)).toBe(true);
      expect(() => runtime.database.sqlite.query("SELECT 1").get()).toThrow();
      // A second stop is harmless (a signal during shutdown).
      await runtime.stop();

      // The same file opens again with nothing left to migrate.
      const again = createRuntime(config, log);
      expect(again.migrations).toEqual([]);
      await again.stop();
    } finally {
      dir.cleanup();
    }
  });
});
