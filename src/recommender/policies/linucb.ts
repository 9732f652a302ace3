import type { BanditStore } from "../bandit.ts";
import type { Scorer } from "../scorer.ts";
import type { Decision, DecisionInput, Policy } from "./types.ts";

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
      let best = 0;
      for (let index = 1; index < reply.scores.length; index++) if (reply.scores[index]! > reply.scores[best]!) best = index;
      return { scores: reply.scores, chosen, propensity: reply.propensity, explored: chosen !== best, scorerStatus: "ok" };
    },
  };
}
