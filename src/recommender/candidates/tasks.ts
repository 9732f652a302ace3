import { eq } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { tasks } from "../../db/schema.ts";
import { dueInstant, type TaskDue } from "../../time.ts";
import type { Candidate, CandidateSource, CompletionContext, LoadContext } from "./types.ts";

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

export const taskKey = (provider: string, externalId: string) => `task:${provider}:${externalId}`;

/** Open tasks synced from the user's connected task managers. */
export class TaskSource implements CandidateSource {
  readonly name = "tasks";
  private readonly completers = new Map<string, (userId: string, externalId: string, context: CompletionContext) => void>();
  private readonly readers = new Map<string, (userId: string) => void>();

  constructor(private readonly db: Db) {}

  /** Lets a provider integration close tasks upstream when they are marked done here. */
  onComplete(provider: string, complete: (userId: string, externalId: string, context: CompletionContext) => void) {
    this.completers.set(provider, complete);
  }

  /** Lets a provider integration refresh a user's tasks in the background when they are read; it must not block. */
  onRead(provider: string, read: (userId: string) => void) {
    this.readers.set(provider, read);
  }

  touch(userId: string) {
    for (const read of this.readers.values()) read(userId);
  }

  load({ userId, timeZone }: LoadContext): Candidate[] {
    return this.db
      .select()
      .from(tasks)
      .where(eq(tasks.userId, userId))
      .all()
      .map((task) => ({
        key: taskKey(task.provider, task.externalId),
        kind: "todo" as const,
        source: task.provider,
        content: task.content,
        priority: task.priority,
        dueAt: dueInstant(storedDue(task), timeZone),
        addedAt: task.addedAt,
        changedAt: task.updatedAt ?? task.syncedAt,
      }));
  }

  complete(userId: string, candidate: { key: string }, context: CompletionContext = {}) {
    const [, provider, ...rest] = candidate.key.split(":");
    this.completers.get(provider!)?.(userId, rest.join(":"), context);
  }
}
