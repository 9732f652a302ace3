import { KeyedQueue } from "../jobs/keyed-queue.ts";
import type { Kernel } from "../runtime.ts";
import { DAY_MS, MINUTE_MS, SECOND_MS } from "../time.ts";
import { BanditStore } from "./bandit.ts";
import { AdviceSource } from "./candidates/advice.ts";
import { CandidatePool } from "./candidates/index.ts";
import { LlmPoolSource } from "./candidates/llm-pool.ts";
import type { FeatureVersion } from "./features.ts";
import { FeedbackService } from "./feedback.ts";
import { RecommenderSettingsSchema } from "./model.ts";
import { DecisionCandidates } from "./decision-candidates.ts";
import { activity, adviceLibrary, decisionCompleteness, decisionLog, latestTipShowing, purgeOldDecisions, pushesSince, recentTips, servingOutcomes } from "./queries.ts";
import { Recommender } from "./recommend.ts";

/**
 * The tip: candidates, features, policies through the scorer, the decision log and feedback.
 * Keeps its caches honest on the bus, and registers the retention purge and the job that applies
 * rewards the scorer could not take when they came.
 */
export function createRecommenderModule({ config, database, bus, log, jobs, scorer, settings: settingsStore }: Kernel) {
  const { db } = database;
  const advice = new AdviceSource(db);
  const pool = new CandidatePool(db, advice);
  pool.addSource(new LlmPoolSource(db));
  const settings = settingsStore.section("recommender", RecommenderSettingsSchema);
  const bandits = new BanditStore(db, scorer, log);
  const queue = new KeyedQueue();
  const decisionCandidates = new DecisionCandidates(database.sqlite, config.retentionDays);
  const feedback = new FeedbackService({ db, bus, log, pool, settings, bandits, scorer, queue, decisionCandidates, undoMs: config.undoMs });
  const recommender = new Recommender({
    db,
    sqlite: database.sqlite,
    commits: database.commits,
    bus,
    log,
    pool,
    decisionCandidates,
    settings,
    bandits,
    scorer,
    feedback,
  });

  const dropCachedCandidates = (event: { userId: string | null }) => {
    if (event.userId) pool.invalidate(event.userId);
  };
  bus.subscribe("signals.task.synced", (event) => {
    dropCachedCandidates(event);
    if (event.userId && event.payload.added > 0) recommender.candidatesAdded(event.userId, event.at);
  });
  bus.subscribe("signals.tip.feedback", dropCachedCandidates);
  bus.subscribe("signals.tip.undone", dropCachedCandidates);
  bus.subscribe("account.deleted", ({ payload }) => {
    pool.invalidate(payload.userId);
    bandits.forget(payload.userId);
    recommender.forget(payload.userId);
  });

  jobs.add({
    name: "retention",
    intervalMs: DAY_MS,
    // Not while the server starts: a day's purge on a large log takes a while.
    startDelayMs: MINUTE_MS,
    run: async (signal) => {
      const now = Date.now();
      const purged = purgeOldDecisions(db, config.retentionDays, now);
      // Written again after half the period while in use: rows older than one and a half are referenced by no decision left.
      const candidates = await decisionCandidates.purgeBefore(now - 1.5 * config.retentionDays * DAY_MS, signal);
      if (Object.values(purged).some(Boolean) || candidates > 0) log.info({ ...purged, candidates }, "retention: purged old decisions and reactions");
    },
  });
  jobs.add({ name: "bandit-backlog", intervalMs: 30 * SECOND_MS, startDelayMs: 30 * SECOND_MS, run: (signal) => feedback.applyBacklog(signal) });
  jobs.add({ name: "tips-ignored", intervalMs: 15 * MINUTE_MS, startDelayMs: MINUTE_MS, run: (signal) => feedback.markIgnored(Date.now(), signal) });

  return {
    pool,
    settings,
    bandits,
    recommender,
    feedback,
    /** The latest tip that showed this candidate since `since`, for a provider reporting a completion late. */
    latestTipShowing: (userId: string, candidateKey: string, since: number) => latestTipShowing(db, userId, candidateKey, since),
    /** The decisions served since `since`, for off-policy evaluation (`oo ope`); with a feature version, every candidate's vector in it. */
    decisionLog: (since: number, version?: FeatureVersion) => decisionLog(database.sqlite, since, version),
    /** Tips pushed to the person since `since` (of one candidate, given its key): the notifier's daily cap and dedupe. */
    pushesSince: (userId: string, since: number, candidateKey?: string) => pushesSince(db, userId, since, candidateKey),
    /** Tips and reactions per day over the last `days`, and active people (the console's overview). */
    activity: (now = Date.now(), days = 30) => activity(database.sqlite, now, days),
    /** The serving decisions since `since` by scorer status, and the last one's latency (the console's health). */
    servingOutcomes: (since: number) => servingOutcomes(database.sqlite, since),
    /** Per day since `since`: tips with their decision rows and contexts, reactions that reached the bandit (the console). */
    decisionCompleteness: (since: number) => decisionCompleteness(database.sqlite, since),
    /** A person's latest tips with their reactions (the console). */
    recentTips: (userId: string, limit = 20) => recentTips(db, userId, limit),
    /** The active advice library, as the simulator reads it (`oo sim`). */
    adviceLibrary: () => adviceLibrary(db),
    /** Resolves once the rewards being applied have reached the bandit (tests). */
    idle: () => queue.idle(),
    stop: () => queue.idle(),
  };
}

export type RecommenderModule = ReturnType<typeof createRecommenderModule>;
