import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { banditStates } from "../db/schema.ts";
import type { BanditState } from "./scorer.ts";

const sqlIncrement = sql`${banditStates.version} + 1`;

/** Per-user bandit state, kept in SQLite and cached; the scorer itself remembers nothing. */
export class BanditStore {
  private readonly cache = new Map<string, BanditState | null>();

  constructor(private readonly db: Db) {}

  get(userId: string, policy: string): BanditState | null {
    const key = `${policy}:${userId}`;
    if (!this.cache.has(key)) {
      const row = this.db
        .select({ state: banditStates.state })
        .from(banditStates)
        .where(and(eq(banditStates.userId, userId), eq(banditStates.policy, policy)))
        .get();
      if (this.cache.size >= 10_000) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(key, (row?.state as BanditState | undefined) ?? null);
    }
    return this.cache.get(key)!;
  }

  save(userId: string, policy: string, state: BanditState, now = Date.now()) {
    this.db
      .insert(banditStates)
      .values({ userId, policy, state: { ...state }, pulls: state.pulls, rewardSum: state.reward_sum, version: 1, updatedAt: now })
      .onConflictDoUpdate({
        target: [banditStates.userId, banditStates.policy],
        set: { state: { ...state }, pulls: state.pulls, rewardSum: state.reward_sum, version: sqlIncrement, updatedAt: now },
      })
      .run();
    this.cache.set(`${policy}:${userId}`, state);
  }

  /** After an account is deleted or an admin resets a user's model. */
  forget(userId: string) {
    for (const key of this.cache.keys()) if (key.endsWith(`:${userId}`)) this.cache.delete(key);
  }
}

/**
 * Runs tasks one after another per key (a user), in arrival order, so two rewards for the same
 * user never read the same state and overwrite each other's update.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.then(task, task);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }

  /** Resolves when everything queued so far has run (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.all(this.tails.values());
  }
}
