import type { TipKind } from "../model.ts";

export type { TipKind };
export type TimeOfDay = "morning" | "afternoon" | "evening" | "night";

/** Something that could be shown as the tip, with what the features need to know about it. */
export interface Candidate {
  /** Stable across loads: `task:<provider>:<id>`, `advice:<id>`, `llm:<id>`. */
  key: string;
  kind: TipKind;
  /** Where it came from, shown in "why": `todoist`, `advice`, `llm`. */
  source: string;
  content: string;
  /** 1 (normal) … 4 (urgent), Todoist's scale. */
  priority: number;
  /** When it falls due, already resolved in the user's zone; null when undated. */
  dueAt: number | null;
  addedAt: number | null;
  /** Last change at the provider; a done task comes back only when this moves past its done time. */
  changedAt: number | null;
  /** A recurring task's: when the day of its next due date begins, in the user's zone. Done, it comes back no sooner. */
  dueDayStartsAt?: number | null;
  /** An advice's theme (body, rest, focus, …), a feature of its own; null or absent for tasks. */
  category?: string | null;
  timeOfDay?: TimeOfDay | "any";
  dayKind?: "weekday" | "weekend" | "any";
  promptVersion?: string | null;
  llmModel?: string | null;
  /** When it stops being a candidate (a generated tip's); absent when it never does. */
  expiresAt?: number | null;
}

export interface LoadContext {
  userId: string;
  timeZone: string;
  now: number;
}

/**
 * A place candidates come from. `load` reads local state only (SQLite, memory): providers are
 * synced in the background, never on the request path.
 */
export interface CandidateSource {
  name: string;
  /** The first part of its candidates' keys (`task`, `llm`): a "done" is handed back by it. */
  keyPrefix: string;
  /** Sources are read in rank order, lowest first, so ties between candidates go the same way every time. */
  rank: number;
  load(context: LoadContext): Candidate[];
  /** Called when the user marks a candidate from this source done (e.g. close the task upstream). */
  complete?(userId: string, candidate: { key: string }, context?: RequestContext): void;
  /** Called when a "done" made at `since` is undone: whatever `complete` started is taken back (e.g. reopen the task upstream). */
  uncomplete?(userId: string, candidate: { key: string }, since: number, context?: RequestContext): void;
  /**
   * Called on every read of a user's candidates, cached or not, so a source fed by a provider can
   * ask for a background refresh when its copy is stale. Must return at once.
   */
  touch?(userId: string, context?: RequestContext): void;
}

/** The request a "done" or a read came from, so the work it starts joins the same trace. */
export interface RequestContext {
  traceparent?: string;
  /** Who reported a "done" (a provider's own report must not be sent back to it). */
  source?: string;
}
