import type { Config } from "../config.ts";
import type { DatabaseHandle } from "../db/client.ts";
import type { EventBus } from "../events/bus.ts";
import type { JobRunner } from "../jobs/runner.ts";
import type { Logger } from "../log.ts";
import { BanditStore, KeyedQueue } from "./bandit.ts";
import { AdviceSource } from "./candidates/advice.ts";
import { CandidatePool } from "./candidates/index.ts";
import { LlmPoolSource } from "./candidates/llm-pool.ts";
import { TaskSource } from "./candidates/tasks.ts";
import { FeedbackService, purgeOldDecisions } from "./feedback.ts";
import { Recommender } from "./recommend.ts";
import type { Scorer } from "./scorer.ts";
import { SettingsStore } from "./settings.ts";

export interface RecommenderModuleDeps {
  config: Config;
  database: DatabaseHandle;
  bus: EventBus;
  log: Logger;
  jobs: JobRunner;
  scorer: Scorer;
}

const DAY_MS = 86_400_000;

/** Builds the recommender's services, keeps their caches honest, and registers its jobs. */
export function createRecommenderModule({ config, database, bus, log, jobs, scorer }: RecommenderModuleDeps) {
  const { db } = database;
  const tasks = new TaskSource(db);
  const advice = new AdviceSource(db);
  const pool = new CandidatePool(db, [tasks, new LlmPoolSource(db)], advice);
  const settings = new SettingsStore(db);
  const bandits = new BanditStore(db);
  const queue = new KeyedQueue();
  const recommender = new Recommender({ db, sqlite: database.sqlite, commits: database.commits, bus, log, pool, settings, bandits, scorer });
  const feedback = new FeedbackService({ db, bus, log, pool, settings, bandits, scorer, queue });

  const dropCachedCandidates = (event: { userId: string | null }) => {
    if (event.userId) pool.invalidate(event.userId);
  };
  bus.subscribe("signals.task.synced", dropCachedCandidates);
  bus.subscribe("signals.tip.feedback", dropCachedCandidates);
  bus.subscribe("account.deleted", ({ payload }) => {
    pool.invalidate(payload.userId);
    bandits.forget(payload.userId);
    recommender.forget(payload.userId);
  });

  jobs.add({
    name: "retention",
    intervalMs: DAY_MS,
    startDelayMs: 0,
    run: () => {
      const purged = purgeOldDecisions(database.sqlite, config.retentionDays);
      if (Object.values(purged).some(Boolean)) log.info(purged, "retention: purged old decisions and reactions");
    },
  });
  jobs.add({ name: "bandit-backlog", intervalMs: 30_000, startDelayMs: 30_000, run: (signal) => feedback.applyBacklog(signal) });

  return { tasks, advice, pool, settings, bandits, queue, recommender, feedback };
}

export type RecommenderModule = ReturnType<typeof createRecommenderModule>;
