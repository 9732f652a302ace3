import { describe, expect, test } from "bun:test";
import { captureLogger } from "../testing/harness.ts";
import { JobRunner } from "./runner.ts";

describe("JobRunner", () => {
  test("honours the start delay, then repeats at the interval", async () => {
    const { log } = captureLogger();
    const runner = new JobRunner(log);
    const times: number[] = [];
    const start = Date.now();
    runner.add({ name: "tick", intervalMs: 20, startDelayMs: 50, run: () => void times.push(Date.now() - start) });
    runner.start();
    expect(runner.status()[0]!.nextRunAt).toBeGreaterThanOrEqual(start + 50);
    await Bun.sleep(140);
    await runner.stop();
    expect(times[0]).toBeGreaterThanOrEqual(45);
    expect(times.length).toBeGreaterThanOrEqual(3);
  });

  test("a job never overlaps itself, even when triggered while running", async () => {
    const { log } = captureLogger();
    const runner = new JobRunner(log);
    let concurrent = 0;
    let maxConcurrent = 0;
    let runs = 0;
    runner.add({
      name: "slow",
      intervalMs: 1,
      run: async () => {
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        await Bun.sleep(15);
        concurrent--;
        runs++;
      },
    });
    runner.start();
    await Promise.all([runner.trigger("slow"), runner.trigger("slow"), runner.trigger("slow")]);
    await Bun.sleep(60);
    await runner.stop();
    expect(maxConcurrent).toBe(1);
    expect(runs).toBeGreaterThanOrEqual(2);
  });

  test("errors are logged, recorded and isolated; the schedule continues", async () => {
    const { log, lines } = captureLogger();
    const runner = new JobRunner(log);
    let attempts = 0;
    let healthyRuns = 0;
    runner.add({
      name: "flaky",
      intervalMs: 10,
      run: () => {
        attempts++;
        if (attempts <= 2) throw new Error(`attempt ${attempts} broke`);
      },
    });
    runner.add({ name: "healthy", intervalMs: 10, run: () => void healthyRuns++ });
    runner.start();
    await Bun.sleep(25);
    const flaky = runner.status().find((job) => job.name === "flaky")!;
    expect(flaky.failures).toBeGreaterThanOrEqual(1);
    await Bun.sleep(40);
    await runner.stop();
    const after = runner.status().find((job) => job.name === "flaky")!;
    expect(after.failures).toBe(2);
    expect(after.lastError).toBeNull();
    expect(after.runs).toBeGreaterThan(2);
    expect(after.lastRunAt).not.toBeNull();
    expect(healthyRuns).toBeGreaterThan(2);
    expect(lines.filter((line) => line.msg === "job failed" && line.job === "flaky")).toHaveLength(2);
  });

  test("a run that throws synchronously can run again when triggered", async () => {
    const { log } = captureLogger();
    const runner = new JobRunner(log);
    let runs = 0;
    runner.add({
      name: "sync-failure",
      intervalMs: 60_000,
      run: () => {
        runs++;
        throw new Error("broken at once");
      },
    });
    await runner.trigger("sync-failure");
    await runner.trigger("sync-failure");
    await runner.trigger("sync-failure");
    expect(runs).toBe(3);
    expect(runner.status()[0]).toMatchObject({ runs: 3, failures: 3, running: false, lastError: "broken at once" });
  });

  test("stop waits for the run in flight and cancels what is scheduled", async () => {
    const { log } = captureLogger();
    const runner = new JobRunner(log);
    let finished = 0;
    let sawAbort = false;
    runner.add({
      name: "long",
      intervalMs: 5,
      run: async (signal) => {
        await Bun.sleep(30);
        sawAbort = signal.aborted;
        finished++;
      },
    });
    runner.start();
    await Bun.sleep(5);
    await runner.stop();
    expect(finished).toBe(1);
    expect(sawAbort).toBe(true);
    await Bun.sleep(30);
    expect(finished).toBe(1);
    expect(runner.status()[0]!.nextRunAt).toBeNull();
  });
});
