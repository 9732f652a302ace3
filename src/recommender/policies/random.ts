import type { Decision, DecisionInput, Policy } from "./types.ts";

/** Uniform choice: the baseline every other policy must beat. */
export const randomPolicy: Policy = {
  name: "random",
  version: "random@1",
  async decide({ candidates, random }: DecisionInput): Promise<Decision> {
    const chosen = Math.min(Math.floor(random() * candidates.length), candidates.length - 1);
    return { scores: candidates.map(() => 1 / candidates.length), chosen, propensity: 1 / candidates.length, explored: true, scorerStatus: "unused" };
  },
};
