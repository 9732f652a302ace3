import { describe, expect, test } from "bun:test";
import { Pacer } from "./pacer.ts";

describe("Pacer", () => {
  test("admits units no closer than the spacing", async () => {
    const pacer = new Pacer(1, 10);
    const started = performance.now();
    const at: number[] = [];
    for (let i = 0; i < 4; i++) {
      await pacer.admit();
      at.push(performance.now() - started);
    }
    expect(at[0]!).toBeLessThan(5);
    expect(at[3]!).toBeGreaterThanOrEqual(28);
  });

  test("runs steps one at a time, in order, and keeps them to their share of the time", async () => {
    const pacer = new Pacer(0.5, 0);
    const order: number[] = [];
    const busy = (ms: number) => {
      const until = performance.now() + ms;
      while (performance.now() < until);
    };
    const started = performance.now();
    const results = await Promise.all([0, 1, 2, 3].map((i) => pacer.run(() => (busy(5), order.push(i), i))));
    const elapsed = performance.now() - started;
    expect(results).toEqual([0, 1, 2, 3]);
    expect(order).toEqual([0, 1, 2, 3]);
    // 20 ms of steps at a share of one half: about 5 ms of pause after each of the first three.
    expect(elapsed).toBeGreaterThanOrEqual(30);
  });

  test("a failing step rejects its own caller only", async () => {
    const pacer = new Pacer(1, 0);
    const failed = pacer.run(() => {
      throw new Error("bad step");
    });
    const next = pacer.run(() => "fine");
    await expect(failed).rejects.toThrow("bad step");
    expect(await next).toBe("fine");
  });
});
