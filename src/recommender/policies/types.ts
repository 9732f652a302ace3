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
 * probability 1 − ε, otherwise one uniformly at random; or, given an `anchor` (another policy's
 * pick), half of ε on the anchor and half uniformly. Spending part of ε on the heuristic's pick
 * keeps the log able to evaluate the heuristic off-policy: uniform draws alone give each of K ≈ 40
 * candidates a propensity of ε/K, whose importance weights drown any estimate.
 */
export function epsilonGreedy(scores: number[], epsilon: number, random: () => number, anchor?: number) {
  const best = argmax(scores);
  const count = scores.length;
  const uniformShare = anchor === undefined ? epsilon : epsilon / 2;
  let chosen = best;
  if (count > 1 && random() < epsilon) {
    chosen = anchor !== undefined && random() < 0.5 ? anchor : Math.min(Math.floor(random() * count), count - 1);
  }
  const propensity = (chosen === best ? 1 - epsilon : 0) + (anchor !== undefined && chosen === anchor ? epsilon / 2 : 0) + uniformShare / count;
  // A draw that lands on the best is no exploration for the person ("picked to learn" would be wrong).
  return { chosen, explored: chosen !== best, propensity };
}
