import { describe, expect, test } from "bun:test";
import { events } from "../db/schema.ts";
import { captureLogger, migratedDatabase } from "../testing/harness.ts";
import { EventBus, InvalidEventError } from "./bus.ts";

const feedback = (n: number) => ({ tipId: `t${n}`, action: "done", reward: 1, source: "test" });

function busWithDatabase() {
  const database = migratedDatabase();
  const { log, lines } = captureLogger();
  return { bus: new EventBus(database.sqlite, log), database, lines };
}

describe("EventBus", () => {
  test("every event is persisted with subject, user, payload and time", () => {
    const { bus, database } = busWithDatabase();
    const published = bus.publish("signals.tip.feedback", feedback(1), "user-1");
    const rows = database.db.select().from(events).all();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: published.id, subject: "signals.tip.feedback", userId: "user-1" });
    expect(JSON.parse(rows[0]!.payload)).toEqual(feedback(1));
    expect(Math.abs(rows[0]!.at - Date.now())).toBeLessThan(5000);
  });

  test("the ring buffer keeps the newest 500 and filters by subject, user and delivery order", () => {
    const { bus, database } = busWithDatabase();
    for (let n = 0; n < 520; n++) bus.publish("signals.tip.feedback", feedback(n), n % 2 ? "odd" : "even");
    bus.publish("signals.integration.changed", { provider: "todoist", status: "connected" }, "odd");
    const all = bus.tail();
    expect(all).toHaveLength(500);
    expect(all.at(-1)!.subject).toBe("signals.integration.changed");
    expect((all[0]!.payload as { tipId: string }).tipId).toBe("t21");
    expect(bus.tail({ subject: "signals.integration.changed" })).toHaveLength(1);
    expect(bus.tail({ userId: "even" }).every((event) => event.userId === "even")).toBe(true);
    expect(bus.tail({ limit: 3 }).map((event) => event.id)).toEqual(all.slice(-3).map((event) => event.id));
    const last = all.at(-2)!.seq;
    expect(bus.tail({ afterSeq: last })).toHaveLength(1);
    // The durable store keeps everything the ring forgot.
    expect(database.db.select().from(events).all()).toHaveLength(521);
  });

  test("an announced event is checked and delivered like a published one, and not stored", () => {
    const { bus, database } = busWithDatabase();
    const heard: unknown[] = [];
    bus.subscribe("signals.tip.served", (event) => void heard.push(event));
    const before = bus.publish("signals.tip.feedback", feedback(1), "u1");
    const served = bus.announce("signals.tip.served", { tipId: "t1", channel: "page" }, "u1", 5);
    expect(served).toMatchObject({ id: null, subject: "signals.tip.served", userId: "u1", payload: { tipId: "t1", channel: "page" }, at: 5 });
    expect(served.seq).toBeGreaterThan(before.seq);
    expect(heard).toEqual([served]);
    expect(bus.tail({ afterSeq: before.seq })).toEqual([served]);
    // A payload that does not fit its subject is refused before anyone hears of it.
    expect(() => bus.announce("signals.tip.served", { tipId: 3 } as never, "u1")).toThrow("signals.tip.served: /tipId");
    expect(heard).toHaveLength(1);
    expect(database.db.select().from(events).all().map((row) => row.subject)).toEqual(["signals.tip.feedback"]);
  });

  test("a payload that does not match its subject's schema is refused and not stored", () => {
    const { bus, database } = busWithDatabase();
    expect(() => bus.publish("signals.tip.feedback", { tipId: 5 } as never)).toThrow(InvalidEventError);
    expect(() => bus.publish("signals.nope" as never, {} as never)).toThrow(/unknown subject/);
    expect(database.db.select().from(events).all()).toEqual([]);
    expect(bus.tail()).toEqual([]);
  });

  test("a throwing subscriber breaks neither the publisher nor the other subscribers", async () => {
    const { bus, lines } = busWithDatabase();
    const seen: string[] = [];
    bus.subscribe("signals.tip.feedback", () => {
      throw new Error("sync failure");
    });
    bus.subscribe("signals.tip.feedback", async () => {
      throw new Error("async failure");
    });
    bus.subscribe("signals.tip.feedback", (event) => void seen.push(event.payload.tipId));
    const unsubscribe = bus.subscribe("signals.task.synced", () => void seen.push("synced"));
    expect(() => bus.publish("signals.tip.feedback", feedback(1))).not.toThrow();
    unsubscribe();
    bus.publish("signals.task.synced", { provider: "todoist", total: 1, added: 1, updated: 0, removed: 0 });
    await Bun.sleep(5);
    expect(seen).toEqual(["t1"]);
    expect(lines.filter((line) => line.msg === "event subscriber failed")).toHaveLength(2);
  });

  test("mirrors see every subject", () => {
    const { bus } = busWithDatabase();
    const mirrored: string[] = [];
    bus.mirror((event) => void mirrored.push(event.subject));
    bus.publish("signals.tip.feedback", feedback(1));
    bus.publish("signals.integration.changed", { provider: "todoist", status: "disconnected" });
    expect(mirrored).toEqual(["signals.tip.feedback", "signals.integration.changed"]);
  });
});
