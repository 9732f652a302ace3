import { describe, expect, test } from "bun:test";
import { captureLogger } from "../testing/harness.ts";
import { Background } from "./background.ts";

describe("Background", () => {
  test("runs work without the caller awaiting it; a failure is logged with its reason, never thrown", async () => {
    const { log, lines } = captureLogger();
    const background = new Background(log);
    const done: string[] = [];
    background.run("fine", async () => void done.push("fine"));
    background.run("broken", async () => {
      throw new Error("provider said no");
    }, { userId: "u1" });
    expect(done).toEqual([]);
    await background.idle();
    expect(done).toEqual(["fine"]);
    expect(lines.find((line) => line.msg === "background work failed")).toMatchObject({ task: "broken", userId: "u1", reason: "provider said no" });
  });

  test("idle waits for work started by work", async () => {
    const { log } = captureLogger();
    const background = new Background(log);
    let inner = false;
    background.run("outer", async () => {
      await Bun.sleep(5);
      background.run("inner", async () => {
        await Bun.sleep(5);
        inner = true;
      });
    });
    await background.idle();
    expect(inner).toBe(true);
  });

  test("close aborts the signal, waits for work in flight, logs no failure for aborted work, and starts nothing after", async () => {
    const { log, lines } = captureLogger();
    const background = new Background(log);
    let sawAbort = false;
    let finished = false;
    background.run("long", async () => {
      await new Promise<void>((resolve) => background.signal.addEventListener("abort", () => resolve(), { once: true }));
      sawAbort = background.signal.aborted;
      await Bun.sleep(5);
      finished = true;
      throw new Error("aborted");
    });
    await Bun.sleep(1);
    await background.close();
    expect(sawAbort).toBe(true);
    expect(finished).toBe(true);
    expect(lines.filter((line) => line.msg === "background work failed")).toHaveLength(0);
    let ran = false;
    background.run("late", async () => void (ran = true));
    await background.idle();
    expect(ran).toBe(false);
  });
});
