import { DAY_MS } from "../../time.ts";
import { timeOfDayAt } from "../candidates/index.ts";
import type { Candidate } from "../candidates/index.ts";
import type { Clock } from "../features.ts";
import { type Decision, type DecisionInput, epsilonGreedy, type Policy } from "./types.ts";

/**
 * The rules a thoughtful person would use: overdue first, then priority, then the oldest; advice
 * that fits this part of the day over advice that fits any time. Also the fallback whenever the
 * scorer cannot answer in time.
 */
export function heuristicScore(candidate: Candidate, clock: Clock): number {
  const priority = candidate.priority * 100;
  if (candidate.kind === "advice") {
    const fitsNow = candidate.timeOfDay === timeOfDayAt(clock.hour) ? 50 : 0;
    return priority + fitsNow;
  }
  const overdue = candidate.dueAt !== null && candidate.dueAt < clock.now ? 1000 : 0;
  const dueSoon = candidate.dueAt !== null && !overdue && candidate.dueAt - clock.now < DAY_MS ? 60 : 0;
  const ageDays = candidate.addedAt === null ? 0 : Math.min(49, Math.floor((clock.now - candidate.addedAt) / DAY_MS));
  return overdue + priority + dueSoon + ageDays;
}

export function heuristicPolicy(epsilon: number): Policy {
  return {
    name: "heuristic",
    version: `heuristic@1 eps=${epsilon}`,
    async decide({ candidates, clock, random }: DecisionInput): Promise<Decision> {
      const scores = candidates.map((candidate) => heuristicScore(candidate, clock));
      return { scores, ...epsilonGreedy(scores, epsilon, random), scorerStatus: "unused" };
    },
  };
}
