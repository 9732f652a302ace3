import { afterEach, describe, expect, test } from "bun:test";
import type { DatabaseHandle } from "../db/client.ts";
import { captureLogger, migratedDatabase } from "../testing/harness.ts";
import { DAY_MS } from "../time.ts";
import { type DeliveryContext, type DeliveryOutcome, Outbox, type OutboxItem, RetryLater, retryDelay } from "./outbox.ts";
import { JobRunner } from "./runner.ts";

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

interface Setup {
  database: DatabaseHandle;
  outbox: Outbox;
  jobs: JobRunner;
  lines: Record<string, unknown>[];
  /** Every delivery attempt, in order. */
  attempts: { item: OutboxItem; context: DeliveryContext }[];
}

const setups: Setup[] = [];
afterEach(async () => {
  for (const { outbox, jobs, database } of setups.splice(0)) {
    await jobs.stop();
    await outbox.stop();
    database.close();
  }
});

/** An outbox on a fresh database with a "test.send" handler that answers with `answer` (or throws what it throws). */
function setup(answer: (item: OutboxItem, context: DeliveryContext) => Promise<DeliveryOutcome> | DeliveryOutcome = () => "delivered"): Setup {
  const database = migratedDatabase();
  const { log, lines } = captureLogger();
  const jobs = new JobRunner(log);
  const outbox = new Outbox({ db: database.db, log, jobs });
  const attempts: Setup["attempts"] = [];
  outbox.register("test.send", {
    deliver: async (item, context) => {
      attempts.push({ item, context });
      return answer(item, context);
    },
    describe: (error) => `described: ${error instanceof Error ? error.message : String(error)}`,
  });
  const result = { database, outbox, jobs, lines, attempts };
  setups.push(result);
  return result;
}

function addUser(database: DatabaseHandle, id = crypto.randomUUID()): string {
  database.sqlite.query("INSERT INTO users (id, created_at, updated_at) VALUES (?, 0, 0)").run(id);
  return id;
}

interface StoredRow {
  id: number;
  kind: string;
  payload: string;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  done_at: number | null;
}
const rows = (database: DatabaseHandle) => database.sqlite.query("SELECT * FROM outbox ORDER BY id").all() as StoredRow[];
const makeDue = (database: DatabaseHandle) => database.sqlite.run("UPDATE outbox SET next_attempt_at = 0");

describe("Outbox: delivery", () => {
  test("an enqueue delivers at once, through the handler of its kind, in the trace of the request that enqueued it", async () => {
    const { database, outbox, attempts, lines } = setup();
    const userId = addUser(database);
    const id = outbox.enqueue("test.send", userId, { to: "someone", n: 1 }, { traceparent: TRACEPARENT });
    await outbox.idle();
    expect(attempts).toHaveLength(1);
    const [{ item, context }] = attempts as [Setup["attempts"][number]];
    expect(item).toMatchObject({ id, userId, kind: "test.send", attempts: 0, payload: { to: "someone", n: 1 } });
    // The trace rides in the stored payload, but the handler sees its own fields only.
    expect(item.payload).not.toHaveProperty("traceparent");
    expect(JSON.parse(rows(database)[0]!.payload)).toEqual({ to: "someone", n: 1, traceparent: TRACEPARENT });
    expect(context.traceId).toBe(TRACE_ID);
    expect(context.traceparent).toStartWith(`00-${TRACE_ID}-`);
    expect(context.traceparent).not.toBe(TRACEPARENT);
    expect(rows(database)[0]).toMatchObject({ attempts: 1, last_error: null });
    expect(rows(database)[0]!.done_at).not.toBeNull();
    expect(lines.find((line) => line.msg === "outbox item delivered")).toMatchObject({ traceId: TRACE_ID, kind: "test.send", outboxId: id, userId });
  });

  test("log lines a handler writes carry the delivery's trace id; an item without a trace gets one of its own", async () => {
    const { database, outbox, lines } = setup((_item, { log }) => {
      log.info({}, "handler speaking");
      return "delivered";
    });
    const userId = addUser(database);
    outbox.enqueue("test.send", userId, {});
    await outbox.idle();
    const line = lines.find((entry) => entry.msg === "handler speaking")!;
    expect(line.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(lines.find((entry) => entry.msg === "outbox item delivered")!.traceId).toBe(line.traceId);
  });

  test("due items go oldest due first, in batches, all in one pass", async () => {
    const { database, outbox, attempts } = setup();
    const userId = addUser(database);
    await outbox.stop();
    const fresh = new Outbox({ db: database.db, log: captureLogger().log, jobs: new JobRunner(captureLogger().log) });
    const order: number[] = [];
    fresh.register("test.send", { deliver: async (item) => (order.push(item.payload.n as number), "delivered") });
    // Enqueued while stopped: nothing is delivered yet. Due times run against the insertion order.
    for (let n = 0; n < 250; n++) outbox.enqueue("test.send", userId, { n }, { now: 1_000_000 - n });
    expect(attempts).toHaveLength(0);
    await fresh.kick();
    expect(order).toHaveLength(250);
    expect(order.slice(0, 3)).toEqual([249, 248, 247]);
    expect(order.at(-1)).toBe(0);
    await fresh.stop();
  });

  test("a dropped item is finished with its note and never tried again", async () => {
    const { database, outbox, attempts, lines } = setup(() => ({ dropped: "recipient gone" }));
    const userId = addUser(database);
    outbox.enqueue("test.send", userId, {});
    await outbox.idle();
    expect(rows(database)[0]).toMatchObject({ attempts: 1, last_error: "recipient gone" });
    expect(rows(database)[0]!.done_at).not.toBeNull();
    makeDue(database);
    await outbox.kick();
    expect(attempts).toHaveLength(1);
    expect(lines.find((line) => line.msg === "outbox item dropped")).toMatchObject({ note: "recipient gone" });
  });

  test("a throw is retried: after ~5 s, then ~10 s, with the handler's description of the error stored", async () => {
    let failures = 2;
    const { database, outbox, attempts } = setup(() => {
      if (failures-- > 0) throw new Error("HTTP 503");
      return "delivered";
    });
    const userId = addUser(database);
    outbox.enqueue("test.send", userId, {});
    await outbox.idle();
    let row = rows(database)[0]!;
    expect(row).toMatchObject({ attempts: 1, done_at: null, last_error: "described: HTTP 503" });
    let wait = row.next_attempt_at - Date.now();
    expect(wait).toBeGreaterThan(2_000);
    expect(wait).toBeLessThanOrEqual(5_000);

    // Not before it is due.
    await outbox.kick();
    expect(attempts).toHaveLength(1);

    makeDue(database);
    await outbox.kick();
    row = rows(database)[0]!;
    expect(row.attempts).toBe(2);
    expect(attempts[1]!.item.attempts).toBe(1);
    wait = row.next_attempt_at - Date.now();
    expect(wait).toBeGreaterThan(4_500);
    expect(wait).toBeLessThanOrEqual(10_000);

    makeDue(database);
    await outbox.kick();
    row = rows(database)[0]!;
    expect(row).toMatchObject({ attempts: 3, last_error: null });
    expect(row.done_at).not.toBeNull();
  });

  test("the backoff doubles up to an hour, each wait 50-100 % of its step", () => {
    expect(retryDelay(0, null, () => 0)).toBe(2_500);
    expect(retryDelay(0, null, () => 1)).toBe(5_000);
    expect(retryDelay(3, null, () => 1)).toBe(40_000);
    expect(retryDelay(20, null, () => 1)).toBe(3_600_000);
    expect(retryDelay(20, null, () => 0)).toBe(1_800_000);
  });

  test("an error carrying a Retry-After is not retried sooner", async () => {
    const rateLimited = Object.assign(new Error("HTTP 429"), { retryAfterMs: 120_000 });
    let answers: unknown[] = [new RetryLater("slow down", 60_000), rateLimited];
    const { database, outbox } = setup(() => {
      throw answers.shift();
    });
    const userId = addUser(database);
    outbox.enqueue("test.send", userId, {});
    await outbox.idle();
    let row = rows(database)[0]!;
    expect(row.last_error).toBe("described: slow down");
    expect(row.next_attempt_at - Date.now()).toBeGreaterThan(59_000);
    expect(row.next_attempt_at - Date.now()).toBeLessThanOrEqual(60_000);
    makeDue(database);
    await outbox.kick();
    row = rows(database)[0]!;
    expect(row.next_attempt_at - Date.now()).toBeGreaterThan(119_000);
    answers = [];
  });

  test("without a describe, the error's message is stored, capped", async () => {
    const database = migratedDatabase();
    const { log } = captureLogger();
    const jobs = new JobRunner(log);
    const outbox = new Outbox({ db: database.db, log, jobs });
    setups.push({ database, outbox, jobs, lines: [], attempts: [] });
    outbox.register("plain.send", {
      deliver: async () => {
        throw new Error("x".repeat(1_000));
      },
    });
    outbox.enqueue("plain.send", addUser(database), {});
    await outbox.idle();
    expect(rows(database)[0]!.last_error).toBe("x".repeat(300));
  });

  test("a kick during a pass makes it go round once more", async () => {
    let enqueueDuring: (() => void) | null = null;
    const { database, outbox, attempts } = setup(async () => {
      enqueueDuring?.();
      enqueueDuring = null;
      await Bun.sleep(5);
      return "delivered" as const;
    });
    const userId = addUser(database);
    enqueueDuring = () => void outbox.enqueue("test.send", userId, { n: 2 });
    outbox.enqueue("test.send", userId, { n: 1 });
    await outbox.idle();
    expect(attempts.map(({ item }) => item.payload.n)).toEqual([1, 2]);
    expect(rows(database).every((row) => row.done_at !== null)).toBe(true);
  });

  test("items of a kind nobody handles stay queued; a kind has one handler", async () => {
    const { database, outbox, attempts } = setup();
    const userId = addUser(database);
    outbox.enqueue("nobody.handles", userId, {});
    await outbox.idle();
    expect(attempts).toHaveLength(0);
    expect(rows(database)[0]).toMatchObject({ attempts: 0, done_at: null });
    expect(() => outbox.register("test.send", { deliver: async () => "delivered" })).toThrow("already registered");
  });

  test("stop aborts the delivery in flight, waits for it, leaves the item as it was, and delivers nothing after", async () => {
    const { database, outbox, attempts } = setup(
      ({ id: _id }, { signal }) =>
        new Promise((_resolve, reject) => signal.addEventListener("abort", () => setTimeout(() => reject(new Error("aborted")), 5), { once: true })),
    );
    const userId = addUser(database);
    outbox.enqueue("test.send", userId, {});
    await Bun.sleep(5);
    expect(attempts).toHaveLength(1);
    await outbox.stop();
    expect(attempts[0]!.context.signal.aborted).toBe(true);
    expect(rows(database)[0]).toMatchObject({ attempts: 0, done_at: null, last_error: null });
    // Still persisted for the next start, but not delivered by this one.
    outbox.enqueue("test.send", userId, {});
    await outbox.kick();
    expect(attempts).toHaveLength(1);
    expect(rows(database)).toHaveLength(2);
  });
});

describe("Outbox: queue and queries", () => {
  test("with dedupeOn, an item still pending with the same key value is kept instead of a second", async () => {
    const { database, outbox } = setup(() => {
      throw new Error("down");
    });
    const [alice, bob] = [addUser(database), addUser(database)];
    const first = outbox.enqueue("test.send", alice, { taskId: "t1" }, { dedupeOn: "taskId" });
    expect(outbox.enqueue("test.send", alice, { taskId: "t1" }, { dedupeOn: "taskId" })).toBe(first);
    expect(outbox.enqueue("test.send", alice, { taskId: "t2" }, { dedupeOn: "taskId" })).not.toBe(first);
    expect(outbox.enqueue("test.send", bob, { taskId: "t1" }, { dedupeOn: "taskId" })).not.toBe(first);
    expect(outbox.enqueue("test.other", alice, { taskId: "t1" }, { dedupeOn: "taskId" })).not.toBe(first);
    // Without dedupeOn, every enqueue is an item.
    expect(outbox.enqueue("test.send", alice, { taskId: "t1" })).not.toBe(first);
    await outbox.idle();
    // Once it is done, the same value queues a new item.
    database.sqlite.run(`UPDATE outbox SET done_at = 1 WHERE id = ${first}`);
    const again = outbox.enqueue("test.send", alice, { taskId: "t1" }, { dedupeOn: "taskId" });
    expect(again).not.toBe(first);
    expect(() => outbox.enqueue("test.send", alice, { "a'b": 1 }, { dedupeOn: "a'b" })).toThrow("not a payload key");
  });

  test("pending, countPending, enqueuedSince and cancel", async () => {
    const { database, outbox } = setup(() => {
      throw new Error("down");
    });
    const [alice, bob] = [addUser(database), addUser(database)];
    outbox.enqueue("test.send", alice, { taskId: "t1" }, { now: 1_000, traceparent: TRACEPARENT });
    outbox.enqueue("test.send", alice, { taskId: "t2" }, { now: 2_000 });
    outbox.enqueue("test.send", bob, { taskId: "t3" }, { now: 2_000 });
    outbox.enqueue("other.send", alice, { taskId: "t4" }, { now: 2_000 });
    // `_` is not a wildcard in a kind prefix.
    outbox.enqueue("testXsend", alice, {}, { now: 2_000 });
    await outbox.idle();

    expect(outbox.pending("test.send", alice).map((item) => item.payload)).toEqual([{ taskId: "t1" }, { taskId: "t2" }]);
    expect(outbox.countPending(alice, "test.")).toBe(2);
    expect(outbox.countPending(alice, "test_")).toBe(0);
    expect(outbox.countPending(bob, "test.")).toBe(1);

    expect(outbox.enqueuedSince("test.send", alice, { taskId: "t1" }, 1_000)).toBe(true);
    expect(outbox.enqueuedSince("test.send", alice, { taskId: "t1" }, 1_001)).toBe(false);
    expect(outbox.enqueuedSince("test.send", bob, { taskId: "t1" }, 0)).toBe(false);
    // Done items count too: it was sent.
    database.sqlite.run("UPDATE outbox SET done_at = 5000");
    expect(outbox.pending("test.send", alice)).toEqual([]);
    expect(outbox.enqueuedSince("test.send", alice, { taskId: "t2" }, 2_000)).toBe(true);

    expect(outbox.cancel(alice, "test.")).toBe(2);
    expect(rows(database).map((row) => row.kind).sort()).toEqual(["other.send", "test.send", "testXsend"]);
  });

  test("cancel joins the caller's transaction", () => {
    const { database, outbox } = setup(() => {
      throw new Error("down");
    });
    const userId = addUser(database);
    outbox.enqueue("test.send", userId, {});
    expect(() =>
      database.db.transaction(() => {
        outbox.cancel(userId, "test.");
        throw new Error("rolled back");
      }),
    ).toThrow("rolled back");
    expect(rows(database)).toHaveLength(1);
  });

  test("purge deletes finished items older than a week, across kinds, and keeps the rest", async () => {
    const { database, outbox } = setup(() => {
      throw new Error("down");
    });
    const userId = addUser(database);
    const now = Date.now();
    for (let i = 0; i < 4; i++) outbox.enqueue(i % 2 ? "test.send" : "other.send", userId, { i });
    await outbox.idle();
    database.sqlite.run(`UPDATE outbox SET done_at = ${now - 8 * DAY_MS} WHERE id IN (1, 2)`);
    database.sqlite.run(`UPDATE outbox SET done_at = ${now - 6 * DAY_MS} WHERE id = 3`);
    expect(outbox.purge(7 * DAY_MS, now)).toBe(2);
    expect(rows(database).map((row) => row.id)).toEqual([3, 4]);
  });

  test("registers its drain (every 15 s, first after 5 s) and a daily purge on the runner", async () => {
    const { database, outbox, jobs, attempts, lines } = setup();
    const status = jobs.status();
    expect(status.find((job) => job.name === "outbox.drain")).toMatchObject({ intervalMs: 15_000 });
    expect(status.find((job) => job.name === "outbox.purge")).toMatchObject({ intervalMs: DAY_MS });
    jobs.start();
    expect(jobs.status().find((job) => job.name === "outbox.drain")!.nextRunAt! - Date.now()).toBeGreaterThan(4_000);

    await outbox.stop();
    const userId = addUser(database);
    database.sqlite.query("INSERT INTO outbox (user_id, kind, payload, next_attempt_at, created_at, done_at) VALUES (?, 'test.send', '{}', 0, 0, 1)").run(userId);
    await jobs.trigger("outbox.purge");
    expect(rows(database)).toHaveLength(0);
    expect(lines.some((line) => line.msg === "outbox: purged delivered items" && line.purged === 1)).toBe(true);
    expect(attempts).toHaveLength(0);
  });

  test("the drain job delivers what is due; stopping the runner abandons deliveries in flight", async () => {
    let release: (() => void) | null = null;
    const { database, outbox, jobs, attempts } = setup(
      (_item, { signal }) =>
        new Promise((resolve, reject) => {
          release = () => resolve("delivered");
          signal.addEventListener("abort", () => reject(new Error("aborted")), { once: true });
        }),
    );
    const userId = addUser(database);
    database.sqlite.query("INSERT INTO outbox (user_id, kind, payload, next_attempt_at, created_at) VALUES (?, 'test.send', '{}', 0, 0)").run(userId);
    const run = jobs.trigger("outbox.drain");
    await Bun.sleep(5);
    expect(attempts).toHaveLength(1);
    release!();
    await run;
    expect(rows(database)[0]!.done_at).not.toBeNull();

    outbox.enqueue("test.send", userId, {});
    const second = jobs.trigger("outbox.drain");
    await Bun.sleep(5);
    await jobs.stop();
    await second;
    expect(rows(database)[1]).toMatchObject({ attempts: 0, done_at: null });
  });
});

describe("Outbox: held items and withdrawal", () => {
  test("an item held with notBefore goes out once it falls due, without waiting for the periodic drain", async () => {
    const { database, outbox, attempts } = setup();
    const userId = addUser(database);
    outbox.enqueue("test.send", userId, { to: "later" }, { notBefore: Date.now() + 150 });
    await Bun.sleep(60);
    await outbox.idle();
    expect(attempts).toHaveLength(0);
    await Bun.sleep(200);
    await outbox.idle();
    expect(attempts.map((attempt) => attempt.item.payload)).toEqual([{ to: "later" }]);
  });

  test("a held item withdrawn is never delivered; its row stays with the note; nothing was attempted", async () => {
    const { database, outbox, attempts } = setup();
    const userId = addUser(database);
    outbox.enqueue("test.send", userId, { taskId: "a" }, { notBefore: Date.now() + 60_000 });
    outbox.enqueue("test.send", userId, { taskId: "b" }, { notBefore: Date.now() + 60_000 });
    expect(outbox.withdraw("test.send", userId, { taskId: "a" }, "withdrawn: undone")).toEqual({ withdrawn: 1, attempted: false });
    expect(outbox.withdraw("test.send", userId, { taskId: "a" }, "again")).toEqual({ withdrawn: 0, attempted: false });
    makeDue(database);
    await outbox.kick();
    expect(attempts.map((attempt) => attempt.item.payload)).toEqual([{ taskId: "b" }]);
    const [withdrawn] = rows(database);
    expect(withdrawn).toMatchObject({ attempts: 0, last_error: "withdrawn: undone" });
    expect(withdrawn!.done_at).toBeNumber();
    expect(outbox.deliveredSince("test.send", userId, { taskId: "a" }, 0)).toBe(false);
    expect(outbox.deliveredSince("test.send", userId, { taskId: "b" }, 0)).toBe(true);
  });

  test("withdrawn while its delivery is under way: reported as attempted, and a failure is not retried", async () => {
    let release!: () => void;
    const { database, outbox, attempts } = setup(async () => {
      await new Promise<void>((resolve) => (release = resolve));
      throw new Error("the recipient timed out");
    });
    const userId = addUser(database);
    outbox.enqueue("test.send", userId, { taskId: "a" });
    while (attempts.length === 0) await Bun.sleep(1);
    expect(outbox.withdraw("test.send", userId, { taskId: "a" }, "withdrawn")).toEqual({ withdrawn: 1, attempted: true });
    release();
    await outbox.idle();
    makeDue(database);
    await outbox.kick();
    expect(attempts).toHaveLength(1);
    expect(rows(database)[0]!.done_at).toBeNumber();
  });
});
