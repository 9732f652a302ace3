import type { Database } from "bun:sqlite";
import { and, desc, eq, gt } from "drizzle-orm";
import type { SessionUser } from "../auth/model.ts";
import { CappedMap, PER_PERSON_CACHE_LIMIT } from "../capped-map.ts";
import type { Db } from "../db/client.ts";
import type { SettingsSection } from "../db/settings.ts";
import type { GroupCommit } from "../db/group-commit.ts";
import { traceIdOf } from "../trace.ts";
import { tipViews } from "../db/schema.ts";
import type { EventBus } from "../events/bus.ts";
import type { Logger } from "../log.ts";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../time.ts";
import type { BanditStore } from "./bandit.ts";
import { type Candidate, type CandidatePool, timeOfDayAt } from "./candidates/index.ts";
import { encodeContext, packScores } from "./context.ts";
import type { DecisionCandidates } from "./decision-candidates.ts";
import { PolicyVersions } from "./policy-versions.ts";
import { type Clock, clockAt, FEATURE_VERSION, featuresOfAll } from "./features.ts";
import { heuristicPolicy } from "./policies/heuristic.ts";
import { linucbPolicy } from "./policies/linucb.ts";
import { randomPolicy } from "./policies/random.ts";
import type { Decision, Policy, ScorerOutcome } from "./policies/types.ts";
import { ScorerUnavailable } from "../ml/protocol.ts";
import type { Scorer } from "../ml/scorer.ts";
import type { FeedbackService } from "./feedback.ts";
import type { PolicyName, RecommenderSettings, RecommenderSettingsSchema, Tip, TipScreen } from "./model.ts";
import { reasonOf } from "../errors.ts";

/** Who a tip is for: the person and the zone their features are computed in. */
export type RecommendUser = Pick<SessionUser, "id" | "timezone">;

/** Shown when nothing else is left: kind, useful, and never an error. */
export const ALL_CLEAR: Candidate = {
  key: "advice:all-clear",
  kind: "advice",
  source: "advice",
  content: "Nothing is waiting for you. Take a slow breath and enjoy the quiet for a moment.",
  priority: 1,
  dueAt: null,
  addedAt: null,
  changedAt: null,
  timeOfDay: "any",
  dayKind: "any",
};

const SOURCE_LABELS: Record<string, string> = { todoist: "from Todoist", advice: "oO advice", llm: "written for you" };

function days(ms: number): string {
  const count = Math.max(1, Math.round(ms / DAY_MS));
  return count === 1 ? "a day" : `${count} days`;
}

/** The one-line "why": the main reason this tip, and where it came from. */
export function explain(candidate: Candidate, clock: Clock, explored: boolean): string {
  let reason: string;
  if (candidate.key === ALL_CLEAR.key) reason = "Your list is clear";
  else if (candidate.kind === "advice") {
    reason = candidate.timeOfDay && candidate.timeOfDay !== "any" ? `Fits your ${timeOfDayAt(clock.hour)}` : "A small thing for any time";
  } else if (candidate.dueAt !== null && candidate.dueAt < clock.now) reason = `Overdue by ${days(clock.now - candidate.dueAt)}`;
  else if (candidate.dueAt !== null && candidate.dueAt - clock.now < DAY_MS) reason = "Due within a day";
  else if (candidate.priority === 4) reason = "Marked urgent";
  else if (candidate.priority === 3) reason = "High priority";
  else if (candidate.addedAt !== null && clock.now - candidate.addedAt > DAY_MS) reason = `Waiting for ${days(clock.now - candidate.addedAt)}`;
  else reason = "Fresh on your list";
  const parts = [reason, SOURCE_LABELS[candidate.source] ?? candidate.source];
  if (explored) parts.push("picked to learn what helps you");
  return parts.join(" · ");
}

export interface RecommenderDeps {
  db: Db;
  sqlite: Database;
  commits: GroupCommit;
  bus: EventBus;
  log: Logger;
  pool: CandidatePool;
  decisionCandidates: DecisionCandidates;
  settings: SettingsSection<typeof RecommenderSettingsSchema>;
  bandits: BanditStore;
  scorer: Pick<Scorer, "score">;
  /** The reactions side: what can be undone, and whether the person ever reacted. */
  feedback: Pick<FeedbackService, "undoable" | "hasReacted">;
  random?: () => number;
}

/** A decision made and not yet served (`Recommender.choose`). */
export interface Choice {
  now: number;
  clock: Clock;
  candidates: Candidate[];
  features: number[][];
  served: { policy: Policy; decision: Decision };
  shadows: { policy: Policy; decision: Decision }[];
  latencyMs: number;
  chosen: Candidate;
  /** Nothing was waiting: the choice is the all-clear placeholder. */
  allClear: boolean;
}

/**
 * Picks the one tip: visible candidates → features in the user's zone → the serving policy (the
 * heuristic whenever the scorer fails) and the shadow policies → log everything → publish.
 */
export class Recommender {
  private readonly random: () => number;
  /**
   * Every recommendation writes its decision log, so the writes use cached bun:sqlite statements
   * (a drizzle-built insert costs several times more per call) and share commits with the other
   * recommendations of the same event-loop turn.
   */
  private readonly insertView;
  private readonly policyVersions: PolicyVersions;
  private readonly commits: GroupCommit;
  /** When each person's candidates last gained new members (a sync or a webhook added tasks). */
  private readonly freshSince = new CappedMap<string, number>(PER_PERSON_CACHE_LIMIT);
  /** When each person last had the tip page serve them: a push never comes while they are looking. */
  private readonly pageSeen = new CappedMap<string, number>(PER_PERSON_CACHE_LIMIT);
  /** Why the heuristic is standing in for the serving policy, while it is. */
  private fallingBackBecause: ScorerOutcome | null = null;

  constructor(private readonly deps: RecommenderDeps) {
    this.random = deps.random ?? Math.random;
    this.commits = deps.commits;
    this.insertView = deps.sqlite.query(
      `INSERT INTO tip_views (id, user_id, candidate_key, kind, source, content, why, policy, context, served_at, channel, policy_version_id,
         propensity, scorer_status, latency_ms, feature_version, prompt_version, llm_model, shadows, scores)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.policyVersions = new PolicyVersions(deps.sqlite);
  }

  policy(name: PolicyName, settings: RecommenderSettings): Policy {
    switch (name) {
      case "linucb":
        return linucbPolicy(this.deps.scorer, this.deps.bandits, settings.alpha, settings.epsilon);
      case "heuristic":
        return heuristicPolicy(settings.epsilon);
      case "random":
        return randomPolicy;
    }
  }

  /** The tip on screen: the last one served if it is recent, unanswered and still visible; else a new one. */
  async current(user: RecommendUser, options: { now?: number; traceparent?: string } = {}): Promise<Tip> {
    return (await this.shown(user, options)).tip;
  }

  /**
   * What the tip page shows: the current tip, the undo of the last reaction, and with nothing to
   * suggest, when to look again and (asked only then) whether connecting Todoist is worth offering.
   */
  async screen(user: RecommendUser, options: { now?: number; traceparent?: string; tipId?: string; canConnect: () => boolean }): Promise<TipScreen> {
    const now = options.now ?? Date.now();
    const { tip, allClear } = await this.shown(user, { ...options, now });
    const feedback = this.deps.feedback;
    const nextAtMs = allClear ? this.deps.pool.nextChangeAt(user.id, user.timezone, now) : null;
    return {
      tip,
      undo: feedback.undoable(user.id, now),
      empty: nextAtMs !== null ? { nextAt: localTime(nextAtMs, now, user.timezone), nextAtMs, connect: options.canConnect() } : null,
      notice: null,
      firstRun: !allClear && !feedback.hasReacted(user.id),
    };
  }

  private async shown(user: RecommendUser, options: { now?: number; traceparent?: string; tipId?: string } = {}): Promise<{ tip: Tip; allClear: boolean }> {
    const now = options.now ?? Date.now();
    this.pageSeen.set(user.id, now);
    // The tip a notification carried, opened from it: shown while it is unanswered and its candidate still visible.
    if (options.tipId) {
      const asked = this.deps.db.select(shownColumns).from(tipViews).where(and(eq(tipViews.id, options.tipId), eq(tipViews.userId, user.id))).get();
      const visible = asked && asked.actedAt === null ? this.deps.pool.visible(user.id, user.timezone, now, { traceparent: options.traceparent }) : [];
      if (asked && visible.some((candidate) => candidate.key === asked.candidateKey)) return { tip: tipOf(asked), allClear: false };
    }
    const { stabilityMinutes } = this.deps.settings.get();
    const since = now - stabilityMinutes * MINUTE_MS;
    const last = this.deps.db
      .select(shownColumns)
      .from(tipViews)
      .where(and(eq(tipViews.userId, user.id), gt(tipViews.servedAt, since)))
      .orderBy(desc(tipViews.servedAt))
      .limit(1)
      .get();
    // A tip brought back by an undo is the one on screen again, ahead of the tip that replaced it.
    const restored = this.deps.db
      .select(shownColumns)
      .from(tipViews)
      .where(and(eq(tipViews.userId, user.id), gt(tipViews.restoredAt, since)))
      .orderBy(desc(tipViews.restoredAt))
      .limit(1)
      .get();
    if (restored && restored.actedAt === null && (!last || restored.restoredAt! >= last.servedAt)) return { tip: tipOf(restored), allClear: restored.candidateKey === ALL_CLEAR.key };
    // The last tip served, if unanswered: an older one left unanswered is not brought back. New
    // candidates since (a first sync after connecting, say) deserve a fresh look at once.
    const fresh = last !== undefined && (this.freshSince.get(user.id) ?? 0) > last.servedAt;
    if (!last || last.actedAt !== null || fresh) return this.recommendShown(user, { ...options, now });
    const visible = this.deps.pool.visible(user.id, user.timezone, now, { traceparent: options.traceparent });
    // "Nothing is waiting" holds only while nothing is; a first sync replaces it at once.
    const stillThere = last.candidateKey === ALL_CLEAR.key ? visible.length === 0 : visible.some((c) => c.key === last.candidateKey);
    if (stillThere) return { tip: tipOf(last), allClear: last.candidateKey === ALL_CLEAR.key };
    return this.recommendShown(user, { ...options, now }, visible);
  }

  private async recommendShown(user: RecommendUser, options: { now?: number; traceparent?: string }, visible?: Candidate[]) {
    visible ??= this.deps.pool.visible(user.id, user.timezone, options.now ?? Date.now(), { traceparent: options.traceparent });
    return { tip: await this.recommend(user, options, visible), allClear: visible.length === 0 };
  }

  /** A new tip on the page (or the API); `visible` is the person's visible candidates at `options.now`, when the caller has them already. */
  async recommend(user: RecommendUser, options: { now?: number; traceparent?: string } = {}, visible?: Candidate[]): Promise<Tip> {
    this.pageSeen.set(user.id, options.now ?? Date.now());
    return this.serve(user, await this.choose(user, options, visible), "page");
  }

  /**
   * What the serving policy would serve now, with the shadows' picks, not yet served: a caller that
   * may not show it (a push not worth an interruption) leaves no trace in the decision log.
   */
  async choose(user: RecommendUser, options: { now?: number; traceparent?: string } = {}, visible?: Candidate[]): Promise<Choice> {
    const started = performance.now();
    const now = options.now ?? Date.now();
    const settings = this.deps.settings.get();
    const clock = clockAt(now, user.timezone);
    visible ??= this.deps.pool.visible(user.id, user.timezone, now, { traceparent: options.traceparent });
    const candidates = visible.length > 0 ? visible : [ALL_CLEAR];
    const features = featuresOfAll(candidates, clock);
    const input = { userId: user.id, candidates, features, clock, traceparent: options.traceparent, random: this.random };

    const shadowNames = settings.shadowPolicies.filter((name) => name !== settings.servingPolicy);
    const [served, ...shadowDecisions] = await Promise.all([
      this.decideServing(settings, input),
      ...shadowNames.map((name) => this.decideShadow(this.policy(name, settings), input)),
    ]);
    // When the heuristic stood in for the serving policy, its pick is the served one: each policy once.
    const shadows = shadowDecisions.flatMap((shadow) => (shadow && shadow.policy.name !== served.policy.name ? [shadow] : []));
    const latencyMs = Math.round((performance.now() - started) * 100) / 100;
    return { now, clock, candidates, features, served, shadows, latencyMs, chosen: candidates[served.decision.chosen]!, allClear: visible.length === 0 };
  }

  /** Serves a choice: the tip with its decision, committed, then announced (`signals.tip.served`). */
  async serve(user: RecommendUser, choice: Choice, channel: "page" | "push"): Promise<Tip> {
    const { now, clock, candidates, served, shadows, latencyMs, chosen } = choice;
    const tip: Tip = {
      // Time-ordered, so the decision log's indexes on tip ids grow at one end.
      id: Bun.randomUUIDv7(),
      kind: chosen.kind,
      content: chosen.content,
      source: chosen.source,
      why: explain(chosen, clock, served.decision.explored),
    };
    // Every candidate by ref to its makings, so any feature version's vectors can be rebuilt from the log.
    const { refs, rows: newCandidates } = this.deps.decisionCandidates.refsOf(user.id, candidates, now);
    const context = encodeContext(clock, refs);
    // A shadow's pick is all evaluation needs of it; its scores would double the row.
    // Ids of new versions are written (and held) here, outside the decision's commit: a batch that
    // failed would roll them back while they stayed held.
    const servedVersion = this.policyVersions.idOf(served.policy);
    const shadowPicks = shadows.length > 0 ? JSON.stringify(shadows.map(({ policy, decision }) => [this.policyVersions.idOf(policy), candidates[decision.chosen]!.key])) : null;
    const { decision } = served;
    // The tip's row is the durable record of its serving: the event is announced once it is committed, not stored again.
    await this.commits.write(() => {
      this.deps.decisionCandidates.write(newCandidates);
      this.insertView.run(
        tip.id,
        user.id,
        chosen.key,
        tip.kind,
        tip.source,
        tip.content,
        tip.why,
        served.policy.name,
        context,
        now,
        channel,
        servedVersion,
        decision.propensity,
        decision.scorerStatus,
        latencyMs,
        FEATURE_VERSION,
        chosen.promptVersion ?? null,
        chosen.llmModel ?? null,
        shadowPicks,
        packScores(decision.scores),
      );
    }).catch((error: unknown) => {
      // Refs were handed out for rows that were not written: the person's are read again next time.
      this.deps.decisionCandidates.forget(user.id);
      throw error;
    });
    this.deps.bus.announce("signals.tip.served", { tipId: tip.id, channel }, user.id, now);
    return tip;
  }

  /** When the person last had the tip page (or the API) serve them, in this process; null if not since it started. */
  pageSeenAt(userId: string): number | null {
    return this.pageSeen.get(userId) ?? null;
  }

  /** New candidates arrived for this person: the next view chooses again instead of keeping the tip on screen. */
  candidatesAdded(userId: string, at = Date.now()) {
    this.freshSince.set(userId, at);
  }

  /** After an account is deleted. */
  forget(userId: string) {
    this.deps.decisionCandidates.forget(userId);
    this.freshSince.delete(userId);
    this.pageSeen.delete(userId);
  }



  /**
   * The serving policy; if it needs the scorer and the scorer fails, the heuristic serves and the
   * reason is kept in the decision. The log says so when the reason changes, not on every request.
   */
  private async decideServing(settings: RecommenderSettings, input: Parameters<Policy["decide"]>[0]) {
    const policy = this.policy(settings.servingPolicy, settings);
    try {
      const decision = await policy.decide(input);
      if (this.fallingBackBecause !== null) {
        this.deps.log.info({ policy: policy.name, traceId: traceIdOf(input.traceparent) }, "serving policy answers again");
        this.fallingBackBecause = null;
      }
      return { policy, decision };
    } catch (error) {
      const status = scorerStatusOf(error);
      if (status !== this.fallingBackBecause) {
        const reason = reasonOf(error);
        this.deps.log.warn({ policy: policy.name, scorerStatus: status, reason, traceId: traceIdOf(input.traceparent) }, "serving policy failed; heuristic serves");
        this.fallingBackBecause = status;
      }
      const fallback = heuristicPolicy(settings.epsilon);
      const decision = await fallback.decide(input);
      return { policy: fallback, decision: { ...decision, scorerStatus: status } };
    }
  }

  /** Shadow policies never affect the tip; one that fails simply leaves no log row. */
  private async decideShadow(policy: Policy, input: Parameters<Policy["decide"]>[0]) {
    try {
      return { policy, decision: await policy.decide(input) };
    } catch (error) {
      this.deps.log.debug({ policy: policy.name, scorerStatus: scorerStatusOf(error), traceId: traceIdOf(input.traceparent) }, "shadow policy failed");
      return null;
    }
  }
}

/** "07:10" in the person's zone; with the weekday when it is not within the next day. */
function localTime(at: number, now: number, timeZone: string): string {
  const format = new Intl.DateTimeFormat("en-GB", {
    timeZone,
    hour: "2-digit",
    minute: "2-digit",
    ...(at - now >= DAY_MS - HOUR_MS ? { weekday: "long" } : {}),
  });
  return format.format(at);
}

/** What showing a tip again reads of its row: not the decision (scores, context) beside it. */
const shownColumns = {
  id: tipViews.id,
  kind: tipViews.kind,
  content: tipViews.content,
  source: tipViews.source,
  why: tipViews.why,
  candidateKey: tipViews.candidateKey,
  servedAt: tipViews.servedAt,
  actedAt: tipViews.actedAt,
  restoredAt: tipViews.restoredAt,
};

function tipOf(view: Pick<typeof tipViews.$inferSelect, "id" | "kind" | "content" | "source" | "why">): Tip {
  return { id: view.id, kind: view.kind, content: view.content, source: view.source, why: view.why };
}

function scorerStatusOf(error: unknown): ScorerOutcome {
  return error instanceof ScorerUnavailable ? error.reason : "error";
}

