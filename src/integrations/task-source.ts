import { eq } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { tasks } from "../db/schema.ts";
import type { Candidate, CandidateSource, LoadContext, RequestContext } from "../recommender/candidates/types.ts";
import { dueInstant, startOfDayAt, type TaskDue } from "../time.ts";

type TaskRow = typeof tasks.$inferSelect;

/** The stored due columns as the three-form due date `dueInstant` reads. */
export function storedDue(task: Pick<TaskRow, "dueKind" | "dueValue" | "dueTimezone" | "dueIsRecurring" | "dueString">): TaskDue | null {
  if (!task.dueKind || !task.dueValue) return null;
  const common = { date: task.dueValue.slice(0, 10), isRecurring: task.dueIsRecurring, string: task.dueString ?? "" };
  switch (task.dueKind) {
    case "date":
      return { ...common, kind: "date", datetime: null, timezone: null };
    case "floating":
      return { ...common, kind: "floating", datetime: task.dueValue, timezone: null };
    case "instant":
      return { ...common, kind: "instant", datetime: task.dueValue, timezone: task.dueTimezone };
  }
}

const TASK_KEY_PREFIX = "task";
/** The candidate key of a synced task: `task:<provider>:<id>`. */
export const taskKey = (provider: string, externalId: string) => `${TASK_KEY_PREFIX}:${provider}:${externalId}`;

/** What a connected task manager does when its tasks are read or one is marked done here. */
export interface TaskProvider {
  /** Closes the task upstream (through the outbox); must not block. */
  complete(userId: string, externalId: string, context: RequestContext): void;
  /** Takes back a close made at `since` (an undone "done"): withdrawn if still held, else reopened upstream; must not block. */
  uncomplete(userId: string, externalId: string, since: number, context: RequestContext): void;
  /** Asks for a background refresh when the stored copy is stale; must return at once. */
  touch(userId: string, context: RequestContext): void;
}

/**
 * The recommender's view of the `tasks` table: open tasks synced from the user's connected task
 * managers, registered with the recommender's candidate pool by the integrations module. A "done"
 * goes back to the task's provider; a read lets each provider refresh a stale copy.
 */
export class TaskSource implements CandidateSource {
  readonly name = "tasks";
  readonly keyPrefix = TASK_KEY_PREFIX;
  /** Before generated tips: a person's own list comes first on a tie. */
  readonly rank = 10;

  constructor(
    private readonly db: Db,
    private readonly providers: Readonly<Record<string, TaskProvider>>,
  ) {}

  touch(userId: string, context: RequestContext = {}) {
    for (const provider of Object.values(this.providers)) provider.touch(userId, context);
  }

  load({ userId, timeZone }: LoadContext): Candidate[] {
    return this.db
      .select()
      .from(tasks)
      .where(eq(tasks.userId, userId))
      .all()
      .map((task) => {
        const dueAt = dueInstant(storedDue(task), timeZone);
        return {
          key: taskKey(task.provider, task.externalId),
          kind: "todo" as const,
          source: task.provider,
          content: task.content,
          priority: task.priority,
          dueAt,
          addedAt: task.addedAt,
          changedAt: task.updatedAt ?? task.syncedAt,
          dueDayStartsAt: task.dueIsRecurring && dueAt !== null ? startOfDayAt(dueAt, timeZone) : null,
        };
      });
  }

  complete(userId: string, candidate: { key: string }, context: RequestContext = {}) {
    const found = this.providerOf(candidate.key);
    found?.provider.complete(userId, found.externalId, context);
  }

  uncomplete(userId: string, candidate: { key: string }, since: number, context: RequestContext = {}) {
    const found = this.providerOf(candidate.key);
    found?.provider.uncomplete(userId, found.externalId, since, context);
  }

  private providerOf(key: string): { provider: TaskProvider; externalId: string } | null {
    const [, provider, ...rest] = key.split(":");
    if (provider === undefined || !Object.hasOwn(this.providers, provider)) return null;
    return { provider: this.providers[provider]!, externalId: rest.join(":") };
  }
}
