import type { Candidate } from "../candidates/index.ts";
import type { Clock } from "../features.ts";
import type { ScorerFailure } from "../../ml/protocol.ts";

/** How the scorer took part in a decision (`scorer_status` in the log): answered, failed and why, or not needed. */
export type ScorerOutcome = "ok" | ScorerFailure | "unused";

export interface DecisionInput {
  userId: string;
  candidates: Candidate[];
  features: number[][];
  clock: Clock;
  traceparent?: string;
  random: () => number;
}

export interface Decision {
  scores: number[];
  chosen: number;
  /** Probability this policy had of picking `chosen`, in (0, 1]: what off-policy evaluation needs. */
  propensity: number;
  explored: boolean;
  scorerStatus: ScorerOutcome;
}

export interface Policy {
  name: string;
  /** Changes when the policy's behaviour changes, so logs from different versions are not mixed. */
  version: string;
  decide(input: DecisionInput): Promise<Decision>;
}

/** The index of the best score, the first one on ties. */
export function argmax(scores: number[]): number {
  let best = 0;
  for (let index = 1; index < scores.length; index++) if (scores[index]! > scores[best]!) best = index;
  return best;
}

/**
 * Exploration with a known probability: the best-scoring candidate (first on ties) with
 * probability 1 − ε, otherwise one uniformly at random.
 */
export function epsilonGreedy(scores: number[], epsilon: number, random: () => number) {
  const best = argmax(scores);
  const uniform = epsilon / scores.length;
  const drawn = scores.length > 1 && random() < epsilon;
  const chosen = drawn ? Math.min(Math.floor(random() * scores.length), scores.length - 1) : best;
  // A draw that lands on the best is no exploration for the person ("picked to learn" would be wrong).
  return { chosen, explored: chosen !== best, propensity: (chosen === best ? 1 - epsilon : 0) + uniform };
}
