import { describe, expect, test } from "bun:test";
import { KeyedQueue } from "./keyed-queue.ts";

describe("KeyedQueue", () => {
  test("tasks of one key run one at a time, in arrival order", async () => {
    const queue = new KeyedQueue();
    const order: string[] = [];
    let running = 0;
    let most = 0;
    const task = (name: string, ms: number) => async () => {
      running++;
      most = Math.max(most, running);
      order.push(`start ${name}`);
      await Bun.sleep(ms);
      order.push(`end ${name}`);
      running--;
      return name;
    };
    const results = await Promise.all([queue.run("u1", task("a", 15)), queue.run("u1", task("b", 1)), queue.run("u1", task("c", 5))]);
    expect(results).toEqual(["a", "b", "c"]);
    expect(most).toBe(1);
    expect(order).toEqual(["start a", "end a", "start b", "end b", "start c", "end c"]);
  });

  test("different keys do not wait for each other", async () => {
    const queue = new KeyedQueue();
    const order: string[] = [];
    const slow = queue.run("u1", async () => {
      await Bun.sleep(20);
      order.push("u1");
    });
    const fast = queue.run("u2", async () => void order.push("u2"));
    await Promise.all([slow, fast]);
    expect(order).toEqual(["u2", "u1"]);
  });

  test("a failing task fails alone: its caller sees the error, the next task of the key still runs", async () => {
    const queue = new KeyedQueue();
    const failed = queue.run("u1", async () => {
      throw new Error("broken");
    });
    const next = queue.run("u1", async () => "still runs");
    await expect(failed).rejects.toThrow("broken");
    expect(await next).toBe("still runs");
  });

  test("idle resolves once everything queued so far has run", async () => {
    const queue = new KeyedQueue();
    let done = 0;
    for (const key of ["u1", "u1", "u2"]) {
      void queue.run(key, async () => {
        await Bun.sleep(5);
        done++;
      });
    }
    await queue.idle();
    expect(done).toBe(3);
  });
});
