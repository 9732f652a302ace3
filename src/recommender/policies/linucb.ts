import type { BanditStore } from "../bandit.ts";
import type { Scorer } from "../../ml/scorer.ts";
import { heuristicScore } from "./heuristic.ts";
import { argmax, type Decision, type DecisionInput, epsilonGreedy, type Policy } from "./types.ts";

/**
 * LinUCB through the Python scorer, with the user's state from the bandit store.
 *
 * A LinUCB score depends on the feature vector alone, and many candidates share one (every advice
 * of a priority at this hour does), so each distinct vector is scored once. The exploration draw
 * is then made here over every candidate, half of ε on the heuristic's pick and half uniformly
 * (see `epsilonGreedy`), so the propensity counts the K candidates considered rather than the
 * distinct vectors, and the log can still evaluate the heuristic.
 */
export function linucbPolicy(scorer: Pick<Scorer, "score">, bandits: BanditStore, alpha: number, epsilon: number): Policy {
  return {
    name: "linucb",
    version: `linucb@2 alpha=${alpha} eps=${epsilon} explore=heuristic-half`,
    async decide({ userId, candidates, clock, features, traceparent, random }: DecisionInput): Promise<Decision> {
      const { vectors, vectorOf } = distinctVectors(features);
      const reply = await scorer.score(
        {
          policy: "linucb",
          params: { alpha, detail: false },
          state: await bandits.current(userId, "linucb", { traceparent }),
          xs: vectors,
        },
        { traceparent },
      );
      if (reply.scores.length !== vectors.length) {
        throw new Error(`the scorer returned ${reply.scores.length} scores for ${vectors.length} candidates`);
      }
      const scores = vectorOf.map((index) => reply.scores[index]!);
      const heuristicPick = argmax(candidates.map((candidate) => heuristicScore(candidate, clock)));
      return { scores, ...epsilonGreedy(scores, epsilon, random, heuristicPick), scorerStatus: "ok" };
    },
  };
}

/**
 * The distinct vectors in order of first appearance, and for each input the index of its vector.
 * Alike candidates share one array (see `featuresOfAll`), so identity is the test: comparing values
 * would cost the serving thread more than the scorer saves.
 */
export function distinctVectors(features: number[][]): { vectors: number[][]; vectorOf: number[] } {
  const vectors: number[][] = [];
  const indexOf = new Map<number[], number>();
  const vectorOf = features.map((x) => {
    let index = indexOf.get(x);
    if (index === undefined) {
      index = vectors.push(x) - 1;
      indexOf.set(x, index);
    }
    return index;
  });
  return { vectors, vectorOf };
}
