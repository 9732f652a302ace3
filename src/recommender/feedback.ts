import { and, asc, eq, isNull } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { candidateStates, tipFeedback, tipScores, tipViews } from "../db/schema.ts";
import type { EventBus } from "../events/bus.ts";
import type { SettingsSection } from "../db/settings.ts";
import { AppError, reasonOf } from "../errors.ts";
import { traceIdOf } from "../trace.ts";
import type { Logger } from "../log.ts";
import type { KeyedQueue } from "../jobs/keyed-queue.ts";
import type { BanditStore } from "./bandit.ts";
import type { CandidatePool } from "./candidates/index.ts";
import { ScorerUnavailable } from "../ml/protocol.ts";
import type { Scorer } from "../ml/scorer.ts";
import type { FeedbackAction, FeedbackResult, RecommenderSettingsSchema } from "./model.ts";
import { DAY_MS, HOUR_MS } from "../time.ts";

export const REWARDS: Record<FeedbackAction, number> = { done: 1, snooze: 0, dismiss: -1, helpful: 0.5, not_helpful: -0.5 };

const DISMISS_HIDES_MS = DAY_MS;
/** A rated or completed advice rests for a day before it may come back. */
const ADVICE_COOL_DOWN_MS = DAY_MS;

export interface FeedbackDeps {
  db: Db;
  bus: EventBus;
  log: Logger;
  pool: CandidatePool;
  settings: SettingsSection<typeof RecommenderSettingsSchema>;
  bandits: BanditStore;
  scorer: Pick<Scorer, "update" | "status">;
  queue: KeyedQueue;
}

/**
 * A reaction to a tip: one per tip (the reward of its logged decision), turned into a reward for
 * the bandit (serialized per user), and applied to what the user sees next (done, snoozed,
 * dismissed, cooled down).
 */
export class FeedbackService {
  constructor(private readonly deps: FeedbackDeps) {}

  async give(
    userId: string,
    tipId: string,
    action: FeedbackAction,
    options: { source?: string; now?: number; traceparent?: string } = {},
  ): Promise<FeedbackResult> {
    const { db, bus, pool } = this.deps;
    const now = options.now ?? Date.now();
    const source = options.source ?? "user";
    const view = db
      .select()
      .from(tipViews)
      .where(and(eq(tipViews.id, tipId), eq(tipViews.userId, userId)))
      .get();
    if (!view) throw new AppError("not_found", "tip_not_found", "There is no such tip.");

    const reward = REWARDS[action];
    const state = { ...this.visibilityAfter(action, view.candidateKey, view.kind, now), lastAction: action, updatedAt: now };
    // The reaction and its event commit together; the event is announced once committed.
    const recorded = db.transaction((tx) => {
      const inserted = tx
        .insert(tipFeedback)
        .values({ tipId, userId, action, reward, source, at: now })
        .onConflictDoNothing()
        .returning({ id: tipFeedback.id })
        .get();
      if (!inserted) return null;
      tx.update(tipViews).set({ actedAt: now }).where(and(eq(tipViews.id, tipId), isNull(tipViews.actedAt))).run();
      tx.insert(candidateStates)
        .values({ userId, candidateKey: view.candidateKey, ...state })
        .onConflictDoUpdate({ target: [candidateStates.userId, candidateStates.candidateKey], set: state })
        .run();
      return { id: inserted.id, event: bus.record("signals.tip.feedback", { tipId, action, reward, source }, userId, now) };
    });
    if (recorded === null) return { ok: true, duplicate: true };

    if (action === "done") pool.complete(userId, view.candidateKey, { traceparent: options.traceparent, source });
    bus.deliver(recorded.event);
    await this.applyReward(userId, recorded.id, options.traceparent);
    return { ok: true, duplicate: false };
  }

  /**
   * Rewards the scorer could not take yet, oldest first; run by a job. Stops at the first sign the
   * scorer is still unavailable (and does not start while it is absent), or when shut down.
   */
  async applyBacklog(signal?: AbortSignal, limit = 500): Promise<{ applied: number; pending: number }> {
    const pending = this.deps.db
      .select({ id: tipFeedback.id, userId: tipFeedback.userId })
      .from(tipFeedback)
      .where(isNull(tipFeedback.banditAppliedAt))
      .orderBy(asc(tipFeedback.id))
      .limit(limit)
      .all();
    let applied = 0;
    if (this.deps.scorer.status().state === "absent") return { applied, pending: pending.length };
    for (const { id, userId } of pending) {
      if (signal?.aborted) break;
      const outcome = await this.applyReward(userId, id);
      if (outcome === "unavailable") break;
      if (outcome === "applied") applied++;
    }
    if (applied > 0) this.deps.log.info({ applied, pending: pending.length - applied }, "bandit backlog: rewards applied");
    return { applied, pending: pending.length - applied };
  }

  /**
   * Serialized per user: read state → scorer update → write state, never interleaved for one user.
   * A reward the scorer cannot take now stays pending for the backlog job.
   */
  private applyReward(userId: string, feedbackId: number, traceparent?: string): Promise<"applied" | "skipped" | "unavailable"> {
    const { db, bandits, scorer, queue, log } = this.deps;
    return queue.run(userId, async () => {
      const feedback = db.select().from(tipFeedback).where(eq(tipFeedback.id, feedbackId)).get();
      if (!feedback || feedback.banditAppliedAt !== null) return "skipped";
      const served = db
        .select({ features: tipScores.features })
        .from(tipScores)
        .where(and(eq(tipScores.tipId, feedback.tipId), eq(tipScores.serving, true)))
        .get();
      const markApplied = () =>
        db.update(tipFeedback).set({ banditAppliedAt: Date.now() }).where(eq(tipFeedback.id, feedbackId)).run();
      if (!served) {
        // The decision log was purged by retention; there is no context left to learn from.
        markApplied();
        return "skipped";
      }
      if (scorer.status().state === "absent") return "unavailable";
      try {
        const { state } = await scorer.update(
          { policy: "linucb", state: bandits.get(userId, "linucb"), x: served.features, reward: feedback.reward },
          { traceparent },
        );
        db.transaction(() => {
          bandits.save(userId, "linucb", state);
          markApplied();
        });
        return "applied";
      } catch (error) {
        const traceId = traceIdOf(traceparent);
        if (error instanceof ScorerUnavailable && error.reason === "error") {
          // The scorer refuses this update (it says why); retrying would fail the same way forever.
          log.error({ userId, feedbackId, traceId, reason: error.message }, "bandit update refused; the reward is dropped");
          markApplied();
          return "skipped";
        }
        log.warn({ userId, feedbackId, traceId, reason: reasonOf(error) }, "bandit update deferred");
        return "unavailable";
      }
    });
  }

  /** What a reaction does to the candidate's visibility. */
  private visibilityAfter(action: FeedbackAction, candidateKey: string, kind: string, now: number) {
    const { snoozeHours } = this.deps.settings.get();
    const oneShot = candidateKey.startsWith("llm:") || (kind === "todo" && candidateKey.startsWith("task:"));
    switch (action) {
      case "snooze":
        return { hiddenUntil: now + snoozeHours * HOUR_MS };
      case "dismiss":
        return { hiddenUntil: now + DISMISS_HIDES_MS };
      case "done":
        return oneShot ? { doneAt: now, hiddenUntil: null } : { hiddenUntil: now + ADVICE_COOL_DOWN_MS };
      case "helpful":
      case "not_helpful":
        if (candidateKey.startsWith("llm:")) return { doneAt: now };
        // A rated task still needs doing: it rests like a snooze; rated advice rests a day.
        return { hiddenUntil: now + (kind === "todo" ? snoozeHours * HOUR_MS : ADVICE_COOL_DOWN_MS) };
    }
  }
}
