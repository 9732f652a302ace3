import { and, asc, desc, eq, gt, gte, isNotNull, isNull, lte, ne, notExists, or, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import type { Db } from "../db/client.ts";
import { candidateStates, tipFeedback, tipViews } from "../db/schema.ts";
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
import { type FeedbackAction, type FeedbackResult, IGNORED, type RecommenderSettingsSchema, type UndoOffer, type UndoResult } from "./model.ts";
import { DAY_MS, HOUR_MS } from "../time.ts";
import { ALL_CLEAR } from "./recommend.ts";
import { carryVector, FEATURE_NAMES, FEATURE_VERSION, FEATURE_VERSIONS, type FeatureVersion, featureNames, featuresOf } from "./features.ts";
import { decodeContext } from "./context.ts";
import type { DecisionCandidates } from "./decision-candidates.ts";

const DISMISS_HIDES_MS = DAY_MS;
/** A rated or completed advice rests for a day before it may come back. */
const ADVICE_COOL_DOWN_MS = DAY_MS;
/** After a restart, how far back the first look for ignored tips goes. */
const IGNORED_CATCH_UP_MS = 2 * DAY_MS;
/** Ignored tips recorded per batch; the job goes on with the next batch until it has caught up. */
const IGNORED_BATCH = 500;
/** The source of a person's own reaction; the others are Todoist's (a completion credited) and the system's ("ignored"). */
const PERSON = "user";

export interface FeedbackDeps {
  db: Db;
  bus: EventBus;
  log: Logger;
  pool: CandidatePool;
  settings: SettingsSection<typeof RecommenderSettingsSchema>;
  bandits: BanditStore;
  scorer: Pick<Scorer, "update" | "revert" | "status">;
  queue: KeyedQueue;
  /** Whose makings rebuild a served candidate's vector when its reward arrives. */
  decisionCandidates: Pick<DecisionCandidates, "makingsOf">;
  /** How long after a reaction it can be undone; 0 turns undo off. */
  undoMs: number;
}

/**
 * A reaction to a tip: one per tip (the reward of its logged decision), turned into a reward for
 * the bandit (serialized per user), and applied to what the user sees next (done, snoozed,
 * dismissed, cooled down).
 */
export class FeedbackService {
  /**
   * Where the look for "ignored" tips stopped: every tip served before `at`, and those served at
   * `at` up to the id `id`, or all of them when there is no id (null until the first run). Tips of
   * one push round share a time, so a batch may end among them.
   */
  private ignoredCursor: { at: number; id?: string } | null = null;

  constructor(private readonly deps: FeedbackDeps) {}

  async give(
    userId: string,
    tipId: string,
    action: FeedbackAction,
    options: { source?: string; now?: number; traceparent?: string } = {},
  ): Promise<FeedbackResult> {
    const { db, bus, pool } = this.deps;
    const now = options.now ?? Date.now();
    const source = options.source ?? PERSON;
    const view = db
      .select()
      .from(tipViews)
      .where(and(eq(tipViews.id, tipId), eq(tipViews.userId, userId)))
      .get();
    if (!view) throw new AppError("not_found", "tip_not_found", "There is no such tip.");
    // The all-clear line suggests nothing: there is nothing to do, hide or learn from.
    if (view.candidateKey === ALL_CLEAR.key) throw new AppError("conflict", "nothing_to_react_to", "There is nothing to react to: your list is clear.");

    // The reward is fixed when the reaction is recorded: a later change of the table does not rewrite history.
    const reward = this.deps.settings.get().rewards[action];
    const state = { ...this.visibilityAfter(action, view.candidateKey, view.kind, now), lastAction: action, updatedAt: now };
    // The reaction and its event commit together; the event is announced once committed.
    const recorded = db.transaction((tx) => {
      const prior = tx
        .select({ hiddenUntil: candidateStates.hiddenUntil, doneAt: candidateStates.doneAt, lastAction: candidateStates.lastAction })
        .from(candidateStates)
        .where(and(eq(candidateStates.userId, userId), eq(candidateStates.candidateKey, view.candidateKey)))
        .get();
      // A reaction that comes after the tip was counted as ignored replaces that weak negative.
      const retired = tx
        .update(tipFeedback)
        .set({ undoneAt: now })
        .where(and(eq(tipFeedback.tipId, tipId), eq(tipFeedback.action, IGNORED), isNull(tipFeedback.undoneAt)))
        .returning({ id: tipFeedback.id })
        .get();
      const inserted = tx
        .insert(tipFeedback)
        .values({ tipId, userId, action, reward, source, at: now, priorState: prior ?? null })
        .onConflictDoNothing()
        .returning({ id: tipFeedback.id })
        .get();
      if (!inserted) return null;
      tx.update(tipViews).set({ actedAt: now }).where(and(eq(tipViews.id, tipId), isNull(tipViews.actedAt))).run();
      tx.insert(candidateStates)
        .values({ userId, candidateKey: view.candidateKey, ...state })
        .onConflictDoUpdate({ target: [candidateStates.userId, candidateStates.candidateKey], set: state })
        .run();
      return { id: inserted.id, retiredId: retired?.id, event: bus.record("signals.tip.feedback", { tipId, action, reward, source }, userId, now) };
    });
    if (recorded === null) return { ok: true, duplicate: true };

    if (action === "done") pool.complete(userId, view.candidateKey, { traceparent: options.traceparent, source });
    bus.deliver(recorded.event);
    if (recorded.retiredId !== undefined) await this.settle(userId, recorded.retiredId, options.traceparent);
    await this.settle(userId, recorded.id, options.traceparent);
    return { ok: true, duplicate: false };
  }

  /** The person's latest reaction, while it can still be undone; null when there is none. */
  undoable(userId: string, now = Date.now()): UndoOffer | null {
    if (this.deps.undoMs === 0) return null;
    const latest = this.latestStanding(userId);
    if (!latest || latest.at + this.deps.undoMs <= now) return null;
    // An undo since then brought a tip back: offering the action before it would read as that tip's.
    const undoneSince = this.deps.db
      .select({ id: tipFeedback.id })
      .from(tipFeedback)
      .where(and(eq(tipFeedback.userId, userId), gt(tipFeedback.at, latest.at), isNotNull(tipFeedback.undoneAt), eq(tipFeedback.source, PERSON)))
      .limit(1)
      .get();
    if (undoneSince) return null;
    // latestStanding reads only the person's own actions.
    return { tipId: latest.tipId, action: latest.action as FeedbackAction, until: latest.at + this.deps.undoMs };
  }

  /**
   * Takes back the person's latest reaction, within the undo window: the tip is current again, the
   * candidate's visibility is as it was, a "done" is handed back to its source (a Todoist close is
   * withdrawn or reopened), and the reward is taken back out of the bandit (see `settle`). The
   * reaction's row stays, marked undone: the audit trail. Undoing a reaction already undone changes
   * nothing.
   */
  async undo(userId: string, tipId: string, options: { now?: number; traceparent?: string } = {}): Promise<UndoResult> {
    const { db, bus, pool } = this.deps;
    const now = options.now ?? Date.now();
    // Only a person's own reactions can be undone: not the system's "ignored", nor a completion Todoist reported.
    const reactions = db
      .select()
      .from(tipFeedback)
      .where(and(eq(tipFeedback.tipId, tipId), eq(tipFeedback.userId, userId), eq(tipFeedback.source, PERSON)))
      .orderBy(desc(tipFeedback.id))
      .all();
    const standing = reactions.find((reaction) => reaction.undoneAt === null);
    if (!standing) {
      if (reactions.length > 0) return { ok: true, duplicate: true };
      throw new AppError("not_found", "nothing_to_undo", "That tip has no action to undo.");
    }
    if (this.latestStanding(userId)?.id !== standing.id) {
      throw new AppError("conflict", "undo_not_latest", "Only your last action can be undone.");
    }
    if (standing.at + this.deps.undoMs <= now) {
      throw new AppError("conflict", "undo_expired", "It is too late to undo that action.");
    }
    const view = db.select({ candidateKey: tipViews.candidateKey }).from(tipViews).where(eq(tipViews.id, tipId)).get();
    const recorded = db.transaction((tx) => {
      const undone = tx
        .update(tipFeedback)
        .set({ undoneAt: now })
        .where(and(eq(tipFeedback.id, standing.id), isNull(tipFeedback.undoneAt)))
        .returning({ id: tipFeedback.id })
        .get();
      if (!undone) return null;
      tx.update(tipViews).set({ actedAt: null, restoredAt: now }).where(eq(tipViews.id, tipId)).run();
      if (view) {
        const key = and(eq(candidateStates.userId, userId), eq(candidateStates.candidateKey, view.candidateKey));
        if (standing.priorState) tx.update(candidateStates).set({ ...standing.priorState, updatedAt: now }).where(key).run();
        else tx.delete(candidateStates).where(key).run();
      }
      return bus.record("signals.tip.undone", { tipId, action: standing.action, source: standing.source }, userId, now);
    });
    if (recorded === null) return { ok: true, duplicate: true };
    if (standing.action === "done" && view) pool.uncomplete(userId, view.candidateKey, standing.at, { traceparent: options.traceparent });
    bus.deliver(recorded);
    await this.settle(userId, standing.id, options.traceparent);
    return { ok: true, duplicate: false };
  }

  /** Whether the person has ever reacted to a tip themselves (within the retention period). */
  hasReacted(userId: string): boolean {
    const own = and(eq(tipFeedback.userId, userId), eq(tipFeedback.source, PERSON));
    return this.deps.db.select({ id: tipFeedback.id }).from(tipFeedback).where(own).limit(1).get() !== undefined;
  }

  /**
   * Counts the tips nobody reacted to within `ignoredAfterHours` as weak negatives: each gets an
   * "ignored" reaction (source "system", reward `ignoredReward`) that reaches the bandit like any
   * other, once. Run by a job; goes on from where the last run stopped (after a restart, from two
   * days back). The all-clear placeholder is no decision and is left out, and so is a tip decided
   * again later on the same candidate: the later decision is the one the person answers or not.
   */
  async markIgnored(now = Date.now(), signal?: AbortSignal): Promise<number> {
    const { db, settings } = this.deps;
    const { ignoredAfterHours, ignoredReward } = settings.get();
    if (ignoredAfterHours === 0) return 0;
    const through = now - ignoredAfterHours * HOUR_MS;
    let marked = 0;
    while (!signal?.aborted) {
      const floor = through - IGNORED_CATCH_UP_MS;
      const from = this.ignoredCursor && this.ignoredCursor.at >= floor ? this.ignoredCursor : { at: floor };
      if (from.at >= through && from.id === undefined) break;
      const after = from.id === undefined ? gt(tipViews.servedAt, from.at) : and(gte(tipViews.servedAt, from.at), or(gt(tipViews.servedAt, from.at), gt(tipViews.id, from.id)));
      const standing = db
        .select({ id: tipFeedback.id })
        .from(tipFeedback)
        .where(and(eq(tipFeedback.tipId, tipViews.id), isNull(tipFeedback.undoneAt)));
      // The same tip decided again later (a reload after a sync): its outcome is that later decision's.
      const later = alias(tipViews, "later");
      const decidedAgain = db
        .select({ id: later.id })
        .from(later)
        .where(and(eq(later.userId, tipViews.userId), gt(later.servedAt, tipViews.servedAt), eq(later.candidateKey, tipViews.candidateKey)));
      const tips = db
        .select({ id: tipViews.id, userId: tipViews.userId, servedAt: tipViews.servedAt })
        .from(tipViews)
        .where(and(after, lte(tipViews.servedAt, through), isNull(tipViews.actedAt), ne(tipViews.candidateKey, ALL_CLEAR.key), notExists(standing), notExists(decidedAgain)))
        .orderBy(asc(tipViews.servedAt), asc(tipViews.id))
        .limit(IGNORED_BATCH)
        .all();
      const recorded = db.transaction((tx) =>
        tips.flatMap(({ id, userId }) => {
          const row = tx
            .insert(tipFeedback)
            .values({ tipId: id, userId, action: IGNORED, reward: ignoredReward, source: "system", at: now, priorState: null })
            .onConflictDoNothing()
            .returning({ id: tipFeedback.id })
            .get();
          return row ? [{ id: row.id, userId }] : [];
        }),
      );
      for (const { id, userId } of recorded) await this.settle(userId, id);
      marked += recorded.length;
      const last = tips.at(-1);
      this.ignoredCursor = tips.length < IGNORED_BATCH || !last ? { at: through } : { at: last.servedAt, id: last.id };
    }
    if (marked > 0) this.deps.log.info({ marked }, "tips without a reaction counted as ignored");
    return marked;
  }

  private latestStanding(userId: string) {
    return this.deps.db
      .select({ id: tipFeedback.id, tipId: tipFeedback.tipId, action: tipFeedback.action, at: tipFeedback.at })
      .from(tipFeedback)
      .where(and(eq(tipFeedback.userId, userId), isNull(tipFeedback.undoneAt), eq(tipFeedback.source, PERSON)))
      .orderBy(desc(tipFeedback.at), desc(tipFeedback.id))
      .limit(1)
      .get();
  }

  /**
   * The served candidate's vector in the version its decision was logged in: rebuilt from the
   * decision's context and the candidate's logged makings (kept as a vector by decisions logged
   * before). Null when the log no longer has it or this build cannot read its version.
   */
  private servedVector(userId: string, tipId: string): { x: number[]; version: FeatureVersion } | null {
    const served = this.deps.db
      .select({ features: tipViews.features, version: tipViews.featureVersion, context: tipViews.context, servedAt: tipViews.servedAt, key: tipViews.candidateKey })
      .from(tipViews)
      .where(eq(tipViews.id, tipId))
      .get();
    if (!served?.version || !(FEATURE_VERSIONS as string[]).includes(served.version)) return null;
    const version = served.version as FeatureVersion;
    if (served.features) return { x: served.features, version };
    if (!served.context) return null;
    const context = decodeContext(served.context, served.servedAt);
    if (!("refs" in context)) return null;
    const makings = this.deps.decisionCandidates.makingsOf(userId, context.refs, served.key);
    return makings ? { x: featuresOf(makings, context.clock, version), version } : null;
  }

  /**
   * Rewards the scorer could not take yet, and undone ones it could not give back, oldest first;
   * run by a job. Stops at the first sign the scorer is still unavailable (and does not start while
   * it is absent), or when shut down.
   */
  async applyBacklog(signal?: AbortSignal, limit = 500): Promise<{ applied: number; pending: number }> {
    const { db } = this.deps;
    const columns = { id: tipFeedback.id, userId: tipFeedback.userId };
    const unapplied = db
      .select(columns)
      .from(tipFeedback)
      .where(and(isNull(tipFeedback.banditAppliedAt), isNull(tipFeedback.undoneAt)))
      .orderBy(asc(tipFeedback.id))
      .limit(limit)
      .all();
    const unreverted = db
      .select(columns)
      .from(tipFeedback)
      .where(and(isNotNull(tipFeedback.undoneAt), isNull(tipFeedback.banditRevertedAt)))
      .orderBy(asc(tipFeedback.id))
      .limit(limit)
      .all();
    const pending = [...unapplied, ...unreverted].sort((a, b) => a.id - b.id);
    let applied = 0;
    if (this.deps.scorer.status().state === "absent") return { applied, pending: pending.length };
    for (const { id, userId } of pending) {
      if (signal?.aborted) break;
      const outcome = await this.settle(userId, id);
      if (outcome === "unavailable") break;
      if (outcome === "applied") applied++;
    }
    if (applied > 0) this.deps.log.info({ applied, pending: pending.length - applied }, "bandit backlog: rewards applied or taken back");
    return { applied, pending: pending.length - applied };
  }

  /**
   * An admin's reset: the person's models of every policy are gone and they start afresh; how many
   * there were. In the person's queue, so no reward in flight lands on the fresh model; and every
   * reaction so far is settled as it stands (its reward was wiped with the model, or will never
   * reach it), so a later undo or late reaction takes nothing back out of a model that never had it.
   */
  resetLearning(userId: string, now = Date.now()): Promise<number> {
    const { db, bandits, queue } = this.deps;
    return queue.run(userId, async () =>
      db.transaction(() => {
        // Applied and taken back, as far as any model to come is concerned: nothing is applied to it, or reverted from it.
        db.update(tipFeedback)
          .set({ banditAppliedAt: sql`coalesce(${tipFeedback.banditAppliedAt}, ${now})`, banditRevertedAt: sql`coalesce(${tipFeedback.banditRevertedAt}, ${now})` })
          .where(eq(tipFeedback.userId, userId))
          .run();
        return bandits.reset(userId);
      }),
    );
  }

  /**
   * Brings the bandit in line with one reaction: a standing reward is applied once; an undone one
   * that had been applied is taken back out exactly (the scorer's `revert`: A and b are sums, so
   * removing x xᵀ and r·x leaves the model as if it had never seen it, whatever came after), and one
   * that never reached the bandit is only marked. Serialized per user: read state → scorer → write
   * state, never interleaved for one user. What the scorer cannot take now stays for the backlog job.
   */
  private settle(userId: string, feedbackId: number, traceparent?: string): Promise<"applied" | "skipped" | "unavailable"> {
    const { db, bandits, scorer, queue, log } = this.deps;
    return queue.run(userId, async () => {
      const feedback = db.select().from(tipFeedback).where(eq(tipFeedback.id, feedbackId)).get();
      if (!feedback) return "skipped";
      const undo = feedback.undoneAt !== null;
      if (undo ? feedback.banditRevertedAt !== null : feedback.banditAppliedAt !== null) return "skipped";
      const mark = () =>
        db
          .update(tipFeedback)
          .set(undo ? { banditRevertedAt: Date.now() } : { banditAppliedAt: Date.now() })
          .where(eq(tipFeedback.id, feedbackId))
          .run();
      // Undone before the bandit ever had it: there is nothing to take back.
      if (undo && feedback.banditAppliedAt === null) {
        mark();
        return "skipped";
      }
      const served = this.servedVector(userId, feedback.tipId);
      if (!served) {
        // The decision log was purged by retention, or holds a version this build cannot read: no context to learn from.
        mark();
        return "skipped";
      }
      if (scorer.status().state === "absent") return "unavailable";
      try {
        // A decision logged before a feature version change is read in the serving version's terms.
        const x = served.version === FEATURE_VERSION ? served.x : carryVector(served.x, featureNames(served.version), FEATURE_NAMES);
        const model = await bandits.current(userId, "linucb", { traceparent });
        const request = { policy: "linucb" as const, state: model, x, reward: feedback.reward };
        const { state } = await (undo ? scorer.revert(request, { traceparent }) : scorer.update(request, { traceparent }));
        db.transaction(() => {
          bandits.save(userId, "linucb", state);
          mark();
        });
        return "applied";
      } catch (error) {
        const traceId = traceIdOf(traceparent);
        if (error instanceof ScorerUnavailable && error.reason === "error") {
          // The scorer refuses this change (it says why); retrying would fail the same way forever.
          log.error({ userId, feedbackId, traceId, undo, reason: error.message }, "bandit change refused; it is dropped");
          mark();
          return "skipped";
        }
        log.warn({ userId, feedbackId, traceId, undo, reason: reasonOf(error) }, "bandit change deferred");
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
