import { and, eq, gt, isNull, or } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { tipCandidates } from "../../db/schema.ts";
import type { Candidate, CandidateSource, LoadContext } from "./types.ts";

/** Tips generated in the background by the LLM, until they expire. */
export class LlmPoolSource implements CandidateSource {
  readonly name = "llm";
  readonly keyPrefix = "llm";
  readonly rank = 20;

  constructor(private readonly db: Db) {}

  load({ userId, now }: LoadContext): Candidate[] {
    return this.db
      .select()
      .from(tipCandidates)
      .where(and(eq(tipCandidates.userId, userId), or(isNull(tipCandidates.expiresAt), gt(tipCandidates.expiresAt, now))))
      .all()
      .map((row) => ({
        key: `llm:${row.id}`,
        kind: row.kind,
        source: "llm",
        content: row.content,
        priority: 2,
        dueAt: null,
        // An advice is not waiting on anyone's list: like the library's, it has no age.
        addedAt: row.kind === "todo" ? row.createdAt : null,
        changedAt: row.createdAt,
        promptVersion: row.promptVersion,
        llmModel: row.llmModel,
        expiresAt: row.expiresAt,
      }));
  }
}
