import { and, eq, sql } from "drizzle-orm";
import { CappedMap, PER_PERSON_CACHE_LIMIT } from "../capped-map.ts";
import type { Db } from "../db/client.ts";
import { banditStates } from "../db/schema.ts";
import type { BanditState } from "../ml/protocol.ts";

const sqlIncrement = sql`${banditStates.version} + 1`;

/** Per-user bandit state, kept in SQLite and cached; the scorer itself remembers nothing. */
export class BanditStore {
  private readonly cache = new CappedMap<string, BanditState | null>(PER_PERSON_CACHE_LIMIT);

  constructor(private readonly db: Db) {}

  get(userId: string, policy: string): BanditState | null {
    const key = `${policy}:${userId}`;
    if (!this.cache.has(key)) {
      const row = this.db
        .select({ state: banditStates.state })
        .from(banditStates)
        .where(and(eq(banditStates.userId, userId), eq(banditStates.policy, policy)))
        .get();
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
