import type { BanditStore } from "../bandit.ts";
import type { Scorer } from "../scorer.ts";
import { argmax, type Decision, type DecisionInput, type Policy } from "./types.ts";

/** LinUCB through the Python scorer, with the user's state from the bandit store. */
export function linucbPolicy(scorer: Pick<Scorer, "score">, bandits: BanditStore, alpha: number, epsilon: number): Policy {
  return {
    name: "linucb",
    version: `linucb@1 alpha=${alpha} eps=${epsilon}`,
    async decide({ userId, candidates, features, traceparent }: DecisionInput): Promise<Decision> {
      const reply = await scorer.score(
        {
          policy: "linucb",
          params: { alpha, epsilon, detail: false },
          state: bandits.get(userId, "linucb"),
          candidates: candidates.map((candidate, index) => ({ id: candidate.key, x: features[index]! })),
        },
        { traceparent },
      );
      const chosen = candidates.findIndex((candidate) => candidate.key === reply.chosen);
      if (chosen === -1) throw new Error(`the scorer chose an unknown candidate ${reply.chosen}`);
      return { scores: reply.scores, chosen, propensity: reply.propensity, explored: chosen !== argmax(reply.scores), scorerStatus: "ok" };
    },
  };
}
