import type { TypeCheck } from "@sinclair/typebox/compiler";
import { lazyCheck } from "../lazy-check.ts";
import type { TSchema } from "@sinclair/typebox";
import type { Database } from "bun:sqlite";
import type { Logger } from "../log.ts";
import { type Payload, type Subject, subjects } from "./subjects.ts";

/** An event as stored (`id`, its row in `events`), or only announced (`id` null: a record of its own holds it). */
export interface StoredEvent<S extends Subject = Subject> {
  id: number | null;
  subject: S;
  userId: string | null;
  payload: Payload<S>;
  at: number;
}

/** An event as delivered: `seq` orders every event this process delivered, stored or not. */
export interface BusEvent<S extends Subject = Subject> extends StoredEvent<S> {
  seq: number;
}

export interface TailFilter {
  subject?: Subject | string;
  userId?: string;
  /** Only events delivered after this `seq` (for polling). */
  afterSeq?: number;
  limit?: number;
}

type Handler<S extends Subject> = (event: BusEvent<S>) => void | Promise<void>;

const RING_SIZE = 500;

export class InvalidEventError extends Error {}

const checks = Object.fromEntries(Object.entries(subjects).map(([subject, schema]) => [subject, lazyCheck(schema as TSchema)])) as Record<
  Subject,
  () => TypeCheck<TSchema>
>;

/**
 * The in-process event bus. Every publish is validated, persisted to `events` (the durable signal
 * store), appended to a ring buffer for the live console, then handed to subscribers. An event
 * whose own table is its durable record (a served tip: its `tip_views` row) is announced instead:
 * validated and delivered the same way, not stored twice. A failing subscriber is logged and never
 * reaches the publisher or the other subscribers.
 */
export class EventBus {
  private readonly ring: BusEvent[] = [];
  private readonly handlers = new Map<Subject, Set<Handler<Subject>>>();
  private readonly mirrors = new Set<(event: BusEvent) => void>();
  private seq = 0;

  /** A cached bun:sqlite statement: every tip served publishes, and a built query costs several times more. */
  private readonly insert;

  constructor(
    sqlite: Database,
    private readonly log: Logger,
  ) {
    this.insert = sqlite.query<never, [string, string | null, string, number]>("INSERT INTO events (subject, user_id, payload, at) VALUES (?, ?, ?, ?)");
  }

  /** `at` is when it happened (default now); callers that act "as of" a given time pass theirs. */
  publish<S extends Subject>(subject: S, payload: Payload<S>, userId: string | null = null, at = Date.now()): BusEvent<S> {
    return this.deliver(this.record(subject, payload, userId, at));
  }

  /** Validates and delivers an event that is not stored: what happened is durably recorded elsewhere, once committed. */
  announce<S extends Subject>(subject: S, payload: Payload<S>, userId: string | null = null, at = Date.now()): BusEvent<S> {
    this.check(subject, payload);
    return this.deliver({ id: null, subject, userId, payload, at });
  }

  /**
   * Validates and stores an event without telling anyone yet: for writers that commit it in their
   * own transaction and `deliver` it only once that commit has succeeded.
   */
  record<S extends Subject>(subject: S, payload: Payload<S>, userId: string | null = null, at = Date.now()): StoredEvent<S> {
    this.check(subject, payload);
    // The rowid straight from the insert: a RETURNING clause builds a result row for it, twice the work.
    const id = Number(this.insert.run(subject, userId, JSON.stringify(payload), at).lastInsertRowid);
    return { id, subject, userId, payload, at };
  }

  /** Appends an event to the ring buffer and hands it to mirrors and subscribers. */
  deliver<S extends Subject>(stored: StoredEvent<S>): BusEvent<S> {
    const event = { ...stored, seq: ++this.seq };
    this.ring.push(event as BusEvent);
    if (this.ring.length > RING_SIZE) this.ring.shift();
    for (const mirror of this.mirrors) this.isolate("mirror", () => mirror(event as BusEvent));
    for (const handler of this.handlers.get(event.subject) ?? []) this.isolate(event.subject, () => handler(event as BusEvent));
    return event;
  }

  private check<S extends Subject>(subject: S, payload: Payload<S>) {
    const check = checks[subject]?.();
    if (!check) throw new InvalidEventError(`unknown subject ${subject}`);
    if (!check.Check(payload)) {
      const first = check.Errors(payload).First();
      throw new InvalidEventError(`${subject}: ${first?.path || "payload"} ${first?.message ?? "is invalid"}`);
    }
  }

  subscribe<S extends Subject>(subject: S, handler: Handler<S>): () => void {
    let set = this.handlers.get(subject);
    if (!set) this.handlers.set(subject, (set = new Set()));
    set.add(handler as Handler<Subject>);
    return () => set.delete(handler as Handler<Subject>);
  }

  /** Sees every event after it is stored (the NATS JetStream bridge). */
  mirror(forward: (event: BusEvent) => void): () => void {
    this.mirrors.add(forward);
    return () => this.mirrors.delete(forward);
  }

  /** Newest-last slice of the ring buffer. */
  tail(filter: TailFilter = {}): BusEvent[] {
    const limit = filter.limit ?? RING_SIZE;
    const matching = this.ring.filter(
      (event) =>
        (!filter.subject || event.subject === filter.subject) &&
        (!filter.userId || event.userId === filter.userId) &&
        (filter.afterSeq === undefined || event.seq > filter.afterSeq),
    );
    return matching.slice(-limit);
  }

  private isolate(to: string, call: () => void | Promise<void>) {
    try {
      const result = call();
      if (result instanceof Promise) result.catch((error) => this.log.error({ err: error, subscriber: to }, "event subscriber failed"));
    } catch (error) {
      this.log.error({ err: error, subscriber: to }, "event subscriber failed");
    }
  }
}
