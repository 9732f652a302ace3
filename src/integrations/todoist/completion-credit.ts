import type { Background } from "../../jobs/background.ts";
import type { Logger } from "../../log.ts";
import { DAY_MS } from "../../time.ts";
import { taskKey } from "../task-source.ts";
import { TODOIST } from "./access.ts";
import type { TodoistCloses } from "./close-task.ts";
import { parseInstant, type TodoistApiTask } from "./tasks.ts";

/** A completion in Todoist counts for a tip served this long before. */
export const REWARD_WINDOW_MS = DAY_MS;

/** The feedback sources of completions Todoist reported: such a "done" is not sent back to Todoist. */
export const WEBHOOK_FEEDBACK_SOURCE = "todoist_webhook";
export const SYNC_FEEDBACK_SOURCE = "todoist_sync";
export const TODOIST_FEEDBACK_SOURCES: ReadonlySet<string> = new Set([WEBHOOK_FEEDBACK_SOURCE, SYNC_FEEDBACK_SOURCE]);

/** What the delayed reward needs from the recommender, which owns the tips and their feedback. */
export interface CompletionRewards {
  /** The latest tip that showed this candidate, served at `since` or later, and when it was answered. */
  latestTipShowing(userId: string, candidateKey: string, since: number): { id: string; servedAt: number; actedAt: number | null } | undefined;
  /** The normal feedback path (bandit update, side effects), here a "done" reported by the provider. */
  give(userId: string, tipId: string, action: "done", options: { source: string; now: number }): Promise<unknown>;
}

/** An RFC 3339 timestamp of an event, or null when missing or unreadable. */
export const instantOf = (value: string | null | undefined) => (value ? (parseInstant(value) ?? null) : null);

/**
 * The delayed reward: a task completed in Todoist after oO showed it credits that decision with a
 * "done", once. Both ways Todoist tells of a completion (a webhook, or a sync that no longer lists
 * the task) come here; the tip's one standing reaction makes the second a no-op. A close oO itself
 * sent for the task echoes back and is not a second reward.
 */
export class CompletionCredit {
  constructor(
    private readonly deps: {
      rewards: CompletionRewards;
      closes: Pick<TodoistCloses, "closedSince">;
      background: Background;
      log: Logger;
    },
  ) {}

  /** The tip a completion of this task, reported now, would credit: shown within the window, not answered, not closed by oO. */
  creditable(userId: string, taskId: string, now: number): { id: string; servedAt: number } | null {
    const latest = this.deps.rewards.latestTipShowing(userId, taskKey(TODOIST, taskId), now - REWARD_WINDOW_MS);
    if (!latest || latest.actedAt !== null) return null;
    if (this.deps.closes.closedSince(userId, taskId, latest.servedAt)) return null;
    return latest;
  }

  /** Credits the tip that showed this completed task, if there is one; the feedback runs in the background. */
  credit(userId: string, task: TodoistApiTask, source: string, now: number, traceId?: string) {
    const tip = this.creditable(userId, task.id, now);
    if (!tip) return;
    // Dated at the completion, so a recurring task's next occurrence (changed at that moment) shows again, from the day it is due.
    const completedAt = instantOf(task.completed_at) ?? instantOf(task.updated_at);
    const at = completedAt === null ? now : Math.max(tip.servedAt, Math.min(now, completedAt - 1));
    const given = this.deps.rewards.give(userId, tip.id, "done", { source, now: at });
    this.deps.log.info({ traceId, userId, tipId: tip.id, source }, "todoist completion rewarded a served tip");
    this.deps.background.run("todoist.reward", () => given, { userId, tipId: tip.id });
  }
}
