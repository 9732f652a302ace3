import { describe, expect, test } from "bun:test";
import { SingleFlight } from "./single-flight.ts";

describe("SingleFlight", () => {
  test("a caller who asks while a run is in flight joins it; other keys run on their own", async () => {
    const flights = new SingleFlight<number>();
    let starts = 0;
    const start = async () => {
      starts++;
      await Bun.sleep(10);
      return starts;
    };
    const first = flights.run("a", start);
    const second = flights.run("a", start);
    const other = flights.run("b", start);
    expect(second).toBe(first);
    expect(flights.has("a")).toBe(true);
    expect(await Promise.all([first, second, other])).toEqual([2, 2, 2]);
    expect(starts).toBe(2);
  });

  test("once a run ends, successfully or not, the next call starts a new one", async () => {
    const flights = new SingleFlight<string>();
    await expect(flights.run("a", () => Promise.reject(new Error("down")))).rejects.toThrow("down");
    expect(flights.has("a")).toBe(false);
    expect(await flights.run("a", async () => "up")).toBe("up");
    expect(flights.has("a")).toBe(false);
  });
});
