import { and, asc, count, eq, gte, inArray, isNotNull, isNull, lt, lte, type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { reasonOf } from "../errors.ts";
import { outbox } from "../db/schema.ts";
import { continueTrace, TracedLogger } from "../trace.ts";
import type { Logger } from "../log.ts";
import { DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS } from "../time.ts";
import type { JobRunner } from "./runner.ts";

/** What an item carries: plain JSON. `traceparent` is the outbox's own (the trace a delivery joins). */
export type OutboxPayload = Record<string, unknown>;

/** One item as its handler sees it. */
export interface OutboxItem<P extends OutboxPayload = OutboxPayload> {
  /** Stable across attempts and restarts: a handler can send it as an idempotency key. */
  id: number;
  userId: string;
  kind: string;
  payload: P;
  /** Attempts made before this one. */
  attempts: number;
  createdAt: number;
}

/** What a delivery runs with: the trace of the request that enqueued the item (a new span), and a log that stamps it. */
export interface DeliveryContext {
  /** Aborted when the outbox stops: pass it to outbound calls. */
  signal: AbortSignal;
  traceId: string;
  /** For the outbound call's `traceparent` header. */
  traceparent: string;
  log: TracedLogger;
}

/** A handler's answer: it landed, or it never will (with the reason, kept on the row). To try again later, throw. */
export type DeliveryOutcome = "delivered" | { dropped: string };

export interface OutboxHandler<P extends OutboxPayload = OutboxPayload> {
  /** Makes one attempt. Throws to be retried: after the error's `retryAfterMs` when it has one, else after a backoff. */
  deliver(item: OutboxItem<P>, context: DeliveryContext): Promise<DeliveryOutcome>;
  /** The reason stored on the row and logged for a failed attempt; it must name no secret. Default: the error's message. */
  describe?(error: unknown): string;
}

/** Thrown by a handler whose recipient said when to come back (a 429's `Retry-After`): no retry comes sooner. */
export class RetryLater extends Error {
  override readonly name = "RetryLater";
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}

export interface DrainResult {
  delivered: number;
  retrying: number;
  dropped: number;
}

/** First retry after ~5 s, doubling up to an hour; each wait is 50–100 % of its step. */
export const BACKOFF_BASE_MS = 5 * SECOND_MS;
export const BACKOFF_MAX_MS = HOUR_MS;
/** Delivered and dropped rows are history; after this long they go. */
export const DONE_RETENTION_MS = 7 * DAY_MS;
const BATCH = 100;
const DRAIN_INTERVAL_MS = 15 * SECOND_MS;
const DRAIN_START_DELAY_MS = 5 * SECOND_MS;
const PURGE_START_DELAY_MS = MINUTE_MS;
/** Stored reasons are capped: a note, not a log. */
const MAX_REASON = 300;
/** Payload keys the outbox matches on (de-duplication, lookups) are plain names, so they can go in a JSON path. */
const PAYLOAD_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

type Row = typeof outbox.$inferSelect;

/** The wait before the next attempt, after `attempts` failed ones: backoff with jitter, never sooner than the recipient asked. */
export function retryDelay(attempts: number, retryAfterMs: number | null = null, random = Math.random): number {
  const step = Math.min(BACKOFF_BASE_MS * 2 ** attempts, BACKOFF_MAX_MS);
  return Math.max(Math.round(step * (0.5 + random() * 0.5)), retryAfterMs ?? 0);
}

/** The `retryAfterMs` an error carries (`RetryLater`, or a client's rate-limit error), if any. */
function retryAfterOf(error: unknown): number | null {
  const value = (error as { retryAfterMs?: unknown } | null)?.retryAfterMs;
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : null;
}

/** `payload.key = value` for each entry, the keys checked to be plain names. */
function payloadMatches(fields: Record<string, string | number>): SQL[] {
  return Object.entries(fields).map(([key, value]) => {
    if (!PAYLOAD_KEY.test(key)) throw new Error(`outbox: "${key}" is not a payload key the outbox can match on`);
    return sql`json_extract(${outbox.payload}, ${`$.${key}`}) = ${value}`;
  });
}

/** Rows whose kind starts with `prefix` (a plain comparison: `_` and `%` mean themselves). */
const kindStartsWith = (prefix: string) => sql`substr(${outbox.kind}, 1, ${prefix.length}) = ${prefix}`;

export interface OutboxDeps {
  db: Db;
  log: Logger;
  /** The outbox registers its drain and its purge here. */
  jobs: JobRunner;
}

/**
 * Writes to the outside world that must land even if the process restarts: an item is written to
 * the `outbox` table first (in the same commit as the change that caused it, when the caller is in
 * a transaction) and delivered after, by the handler registered for its kind, retried with
 * exponential backoff until the handler says it was delivered or will never be. The only code that
 * touches the `outbox` table.
 *
 * Deliveries run one at a time, oldest due first: on a kick (every enqueue kicks), and every 15 s.
 * Each joins the trace of the request that enqueued it.
 */
export class Outbox {
  private readonly handlers = new Map<string, OutboxHandler>();
  private readonly controller = new AbortController();
  private draining: Promise<void> | null = null;
  /** The item being delivered right now, if any (deliveries run one at a time). */
  private inFlight: number | null = null;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private again = false;
  private readonly linked = new WeakSet<AbortSignal>();
  private readonly statements;

  constructor(private readonly deps: OutboxDeps) {
    const { db, jobs } = deps;
    const placeholder = sql.placeholder;
    this.statements = {
      pending: db
        .select()
        .from(outbox)
        .where(and(eq(outbox.userId, placeholder("userId")), eq(outbox.kind, placeholder("kind")), isNull(outbox.doneAt)))
        .orderBy(asc(outbox.id))
        .prepare(),
    };
    jobs.add({
      name: "outbox.drain",
      intervalMs: DRAIN_INTERVAL_MS,
      startDelayMs: DRAIN_START_DELAY_MS,
      run: (signal) => {
        this.stopWith(signal);
        return this.kick();
      },
    });
    jobs.add({
      name: "outbox.purge",
      intervalMs: DAY_MS,
      startDelayMs: PURGE_START_DELAY_MS,
      run: () => {
        const purged = this.purge();
        if (purged) this.deps.log.info({ purged }, "outbox: purged delivered items");
      },
    });
  }

  /** The handler for one kind of item (`<module>.<action>`, e.g. `todoist.close_task`). One per kind. */
  register<P extends OutboxPayload>(kind: string, handler: OutboxHandler<P>): void {
    if (this.handlers.has(kind)) throw new Error(`outbox: a handler for ${kind} is already registered`);
    this.handlers.set(kind, handler as unknown as OutboxHandler);
  }

  /**
   * Queues an item and starts delivering it; returns its id. With `dedupeOn`, an item of the same
   * kind and user still pending with the same value of that payload key is kept instead (its id is
   * returned). `traceparent` is the trace the delivery joins, however late it lands. With
   * `notBefore`, the item is held until then (an action that can still be undone), and can be
   * withdrawn meanwhile without the recipient ever hearing of it.
   */
  enqueue<P extends OutboxPayload>(
    kind: string,
    userId: string,
    payload: P,
    options: { dedupeOn?: keyof P & string; traceparent?: string; now?: number; notBefore?: number } = {},
  ): number {
    const { db } = this.deps;
    const { dedupeOn, traceparent, now = Date.now() } = options;
    const notBefore = Math.max(options.notBefore ?? now, now);
    // No transaction of its own, so an enqueue joins the caller's: the check and the insert run
    // back to back on the one connection, and nothing else writes in between.
    let id: number | undefined;
    if (dedupeOn !== undefined) {
      const match = payloadMatches({ [dedupeOn]: payload[dedupeOn] as string | number });
      id = db
        .select({ id: outbox.id })
        .from(outbox)
        .where(and(eq(outbox.userId, userId), eq(outbox.kind, kind), isNull(outbox.doneAt), ...match))
        .get()?.id;
    }
    if (id === undefined) {
      const stored: OutboxPayload = traceparent ? { ...payload, traceparent } : { ...payload };
      id = db.insert(outbox).values({ userId, kind, payload: stored, nextAttemptAt: notBefore, createdAt: now }).returning({ id: outbox.id }).get().id;
    }
    if (notBefore > now) this.kickAt(notBefore);
    else void this.kick();
    return id;
  }

  /**
   * Ends the user's pending items of this kind with these payload values, without delivering them
   * (the action behind them was undone); the rows stay, with `note`. `attempted` tells whether any
   * of them may have reached the recipient already: an attempt was made, or one is under way now
   * (its outcome is still recorded, but it is not retried).
   */
  withdraw(kind: string, userId: string, fields: Record<string, string | number>, note: string, now = Date.now()): { withdrawn: number; attempted: boolean } {
    const rows = this.deps.db
      .update(outbox)
      .set({ doneAt: now, lastError: note.slice(0, MAX_REASON) })
      .where(and(eq(outbox.userId, userId), eq(outbox.kind, kind), isNull(outbox.doneAt), ...payloadMatches(fields)))
      .returning({ id: outbox.id, attempts: outbox.attempts })
      .all();
    return { withdrawn: rows.length, attempted: rows.some((row) => row.attempts > 0 || row.id === this.inFlight) };
  }

  /** Whether an item of this kind for this user, with these payload values, enqueued at `since` or later, was delivered. */
  deliveredSince(kind: string, userId: string, fields: Record<string, string | number>, since: number): boolean {
    const found = this.deps.db
      .select({ id: outbox.id })
      .from(outbox)
      .where(
        and(
          eq(outbox.userId, userId),
          eq(outbox.kind, kind),
          gte(outbox.createdAt, since),
          isNotNull(outbox.doneAt),
          isNull(outbox.lastError),
          ...payloadMatches(fields),
        ),
      )
      .get();
    return found !== undefined;
  }

  /** The user's items of a kind not delivered yet, oldest first. */
  pending<P extends OutboxPayload>(kind: string, userId: string): OutboxItem<P>[] {
    return this.statements.pending.all({ userId, kind }).map((row) => this.item<P>(row));
  }

  /** How many of the user's items whose kind starts with `kindPrefix` are not delivered yet. */
  countPending(userId: string, kindPrefix: string): number {
    return (
      this.deps.db
        .select({ n: count() })
        .from(outbox)
        .where(and(eq(outbox.userId, userId), kindStartsWith(kindPrefix), isNull(outbox.doneAt)))
        .get()?.n ?? 0
    );
  }

  /** Whether an item of this kind for this user, with these payload values, was enqueued at `since` or later (delivered or not). */
  enqueuedSince(kind: string, userId: string, fields: Record<string, string | number>, since: number): boolean {
    const found = this.deps.db
      .select({ id: outbox.id })
      .from(outbox)
      .where(and(eq(outbox.userId, userId), eq(outbox.kind, kind), gte(outbox.createdAt, since), ...payloadMatches(fields)))
      .get();
    return found !== undefined;
  }

  /**
   * Deletes every item, pending or done, of the user whose kind starts with `kindPrefix` (a
   * disconnect: nothing is delivered for a grant that is gone). Joins the caller's transaction
   * when called inside one. Returns how many went.
   */
  cancel(userId: string, kindPrefix: string): number {
    return this.deps.db
      .delete(outbox)
      .where(and(eq(outbox.userId, userId), kindStartsWith(kindPrefix)))
      .returning({ id: outbox.id })
      .all().length;
  }

  /** Delivers everything due; a kick while a pass is running makes that pass go round once more. Never throws. */
  kick(): Promise<void> {
    if (this.controller.signal.aborted) return Promise.resolve();
    if (this.draining) {
      this.again = true;
      return this.draining;
    }
    this.draining = (async () => {
      // Yield first: an item enqueued inside the caller's transaction is read once that has committed.
      await Promise.resolve();
      try {
        do {
          this.again = false;
          await this.drain();
        } while (this.again && !this.controller.signal.aborted);
      } catch (error) {
        this.deps.log.error({ err: error }, "outbox pass failed");
      } finally {
        this.draining = null;
      }
    })();
    return this.draining;
  }

  /** Resolves once no pass is running (tests). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /** Aborts the deliveries in flight and waits for them; nothing is delivered after. Items stay queued for the next start. */
  async stop(): Promise<void> {
    this.controller.abort();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await this.idle();
  }

  /** A pass once a held item falls due, rather than at the next periodic drain (up to 15 s later). */
  private kickAt(at: number) {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.kick();
    }, at - Date.now());
    timer.unref();
    this.timers.add(timer);
  }

  /** The runner stops at shutdown: deliveries in flight are abandoned then (retried on the next start), not awaited. */
  private stopWith(signal: AbortSignal) {
    if (this.linked.has(signal)) return;
    this.linked.add(signal);
    signal.addEventListener("abort", () => this.controller.abort(), { once: true });
  }

  /** Deletes delivered and dropped items finished more than `olderThanMs` ago; returns how many. */
  purge(olderThanMs = DONE_RETENTION_MS, now = Date.now()): number {
    return this.deps.db
      .delete(outbox)
      .where(and(isNotNull(outbox.doneAt), lt(outbox.doneAt, now - olderThanMs)))
      .returning({ id: outbox.id })
      .all().length;
  }

  /** One pass: the items due by now whose kind has a handler, oldest due first, in batches until none is left. */
  private async drain(): Promise<DrainResult> {
    const result: DrainResult = { delivered: 0, retrying: 0, dropped: 0 };
    const kinds = [...this.handlers.keys()];
    const { signal } = this.controller;
    if (kinds.length === 0) return result;
    // Fixed for the pass: an item that failed is due again only after it, so no pass repeats one.
    const now = Date.now();
    for (;;) {
      const due = this.deps.db
        .select()
        .from(outbox)
        .where(and(isNull(outbox.doneAt), lte(outbox.nextAttemptAt, now), inArray(outbox.kind, kinds)))
        .orderBy(asc(outbox.nextAttemptAt), asc(outbox.id))
        .limit(BATCH)
        .all();
      for (const row of due) {
        if (signal.aborted) break;
        result[await this.deliver(row)]++;
      }
      if (due.length < BATCH || signal.aborted) break;
    }
    if (result.delivered || result.retrying || result.dropped) this.deps.log.info({ ...result }, "outbox pass");
    return result;
  }

  private async deliver(row: Row): Promise<keyof DrainResult> {
    const handler = this.handlers.get(row.kind)!;
    const { signal } = this.controller;
    const trace = continueTrace(typeof row.payload.traceparent === "string" ? row.payload.traceparent : null);
    const log = new TracedLogger(this.deps.log, trace.traceId);
    const fields = { kind: row.kind, userId: row.userId, outboxId: row.id, attempts: row.attempts + 1 };
    let outcome: DeliveryOutcome;
    this.inFlight = row.id;
    try {
      outcome = await handler.deliver(this.item(row), { signal, traceId: trace.traceId, traceparent: trace.traceparent, log });
    } catch (error) {
      // Abandoned, not failed: the row is left as it was, due again at the next start.
      if (signal.aborted) return "retrying";
      const reason = (handler.describe ?? reasonOf)(error).slice(0, MAX_REASON);
      const delay = retryDelay(row.attempts, retryAfterOf(error));
      this.update(row, { nextAttemptAt: Date.now() + delay, lastError: reason });
      log.warn({ ...fields, reason, retryInMs: delay }, "outbox delivery failed; will retry");
      return "retrying";
    } finally {
      this.inFlight = null;
    }
    if (outcome === "delivered") {
      this.update(row, { doneAt: Date.now(), lastError: null });
      log.info(fields, "outbox item delivered");
      return "delivered";
    }
    const note = outcome.dropped.slice(0, MAX_REASON);
    this.update(row, { doneAt: Date.now(), lastError: note });
    log.info({ ...fields, note }, "outbox item dropped");
    return "dropped";
  }

  private update(row: Row, values: Partial<Pick<Row, "doneAt" | "nextAttemptAt" | "lastError">>) {
    this.deps.db
      .update(outbox)
      .set({ ...values, attempts: row.attempts + 1 })
      .where(eq(outbox.id, row.id))
      .run();
  }

  private item<P extends OutboxPayload>(row: Row): OutboxItem<P> {
    const { traceparent: _traceparent, ...payload } = row.payload;
    return { id: row.id, userId: row.userId, kind: row.kind, payload: payload as P, attempts: row.attempts, createdAt: row.createdAt };
  }
}
