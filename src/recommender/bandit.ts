import { and, eq, sql } from "drizzle-orm";
import { CappedMap, PER_PERSON_CACHE_LIMIT } from "../capped-map.ts";
import type { Db } from "../db/client.ts";
import { banditStates } from "../db/schema.ts";
import type { Logger } from "../log.ts";
import type { BanditState, CallOptions } from "../ml/protocol.ts";
import type { Scorer } from "../ml/scorer.ts";
import { FEATURE_NAMES, FEATURE_VERSION, FEATURE_VERSIONS, type FeatureVersion, featureNames } from "./features.ts";

const sqlIncrement = sql`${banditStates.version} + 1`;

interface Stored {
  state: BanditState;
  featureVersion: string;
}

/**
 * Per-user bandit state, kept in SQLite and cached; the scorer itself remembers nothing. A model
 * learnt under another feature version is carried over to the serving one the first time it is
 * needed (the scorer's `migrate`: what both versions name is kept, new features start fresh), and
 * one of a version this build does not know is started afresh; either is logged, never silent.
 */
export class BanditStore {
  private readonly cache = new CappedMap<string, Stored | null>(PER_PERSON_CACHE_LIMIT);

  constructor(
    private readonly db: Db,
    private readonly scorer: Pick<Scorer, "migrate">,
    private readonly log: Logger,
  ) {}

  /** The person's model in the serving feature version, carried over first if it was learnt under another; null before any reward. */
  async current(userId: string, policy: string, options: CallOptions = {}): Promise<BanditState | null> {
    const stored = this.stored(userId, policy);
    if (!stored) return null;
    if (stored.featureVersion === FEATURE_VERSION) return stored.state;
    if (!(FEATURE_VERSIONS as string[]).includes(stored.featureVersion)) {
      this.log.warn({ userId, policy, from: stored.featureVersion, to: FEATURE_VERSION }, "bandit model of an unknown feature version: started afresh");
      this.forget(userId, policy);
      this.db.delete(banditStates).where(and(eq(banditStates.userId, userId), eq(banditStates.policy, policy))).run();
      return null;
    }
    const from = stored.featureVersion as FeatureVersion;
    const { state } = await this.scorer.migrate({ state: stored.state, from: featureNames(from), to: FEATURE_NAMES }, options);
    this.save(userId, policy, state);
    this.log.info({ userId, policy, from, to: FEATURE_VERSION, pulls: state.pulls }, "bandit model carried over to the serving feature version");
    return state;
  }

  /** The model as stored, of whatever feature version (inspection and tests); `current` is what serving uses. */
  get(userId: string, policy: string): BanditState | null {
    return this.stored(userId, policy)?.state ?? null;
  }

  /** Saves a model of the serving feature version. */
  save(userId: string, policy: string, state: BanditState, now = Date.now()) {
    const values = { state: { ...state }, pulls: state.pulls, rewardSum: state.reward_sum, featureVersion: FEATURE_VERSION, updatedAt: now };
    this.db
      .insert(banditStates)
      .values({ userId, policy, ...values, version: 1 })
      .onConflictDoUpdate({ target: [banditStates.userId, banditStates.policy], set: { ...values, version: sqlIncrement } })
      .run();
    this.cache.set(`${policy}:${userId}`, { state, featureVersion: FEATURE_VERSION });
  }

  /** The person's models of every policy are gone; how many there were. Only through `FeedbackService.resetLearning`, which settles their reactions with it. */
  reset(userId: string): number {
    this.forget(userId);
    return this.db.delete(banditStates).where(eq(banditStates.userId, userId)).returning({ policy: banditStates.policy }).all().length;
  }

  /** After an account is deleted or an admin resets a user's model (every policy, or one). */
  forget(userId: string, policy?: string) {
    for (const key of this.cache.keys()) if (key.endsWith(`:${userId}`) && (policy === undefined || key === `${policy}:${userId}`)) this.cache.delete(key);
  }

  private stored(userId: string, policy: string): Stored | null {
    const key = `${policy}:${userId}`;
    if (!this.cache.has(key)) {
      const row = this.db
        .select({ state: banditStates.state, featureVersion: banditStates.featureVersion })
        .from(banditStates)
        .where(and(eq(banditStates.userId, userId), eq(banditStates.policy, policy)))
        .get();
      this.cache.set(key, row ? { state: row.state as unknown as BanditState, featureVersion: row.featureVersion } : null);
    }
    return this.cache.get(key)!;
  }
}
