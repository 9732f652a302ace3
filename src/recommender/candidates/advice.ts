import { eq } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { advice } from "../../db/schema.ts";
import type { Candidate, CandidateSource } from "./types.ts";

/** The curated advice library; small and shared, so it is read once and kept until an edit. */
export class AdviceSource implements CandidateSource {
  readonly name = "advice";
  readonly keyPrefix = "advice";
  /** Read after every personal source. */
  readonly rank = 100;
  private cached: Candidate[] | null = null;

  constructor(private readonly db: Db) {}

  load(): Candidate[] {
    this.cached ??= this.db
      .select()
      .from(advice)
      .where(eq(advice.active, true))
      .all()
      .map((row) => ({
        key: `advice:${row.id}`,
        kind: "advice" as const,
        source: "advice",
        content: row.content,
        priority: row.priority,
        dueAt: null,
        addedAt: null,
        changedAt: null,
        category: row.category,
        timeOfDay: row.timeOfDay,
        dayKind: row.dayKind,
      }));
    return this.cached;
  }
}
