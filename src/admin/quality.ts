import type { IntegrationsModule } from "../integrations/module.ts";
import type { RecommenderModule } from "../recommender/module.ts";
import { DAY_MS } from "../time.ts";
import type { DataQuality } from "./model.ts";

const share = (part: number, whole: number) => (whole > 0 ? part / whole : 0);

/**
 * The data the recommender learns from, checked: decisions whose vectors cannot be rebuilt, tasks
 * whose age is unknown, connections that need the person again, syncs that fail, and per day
 * whether every tip has its decision and context and every reaction reached the bandit.
 */
export function dataQuality(
  deps: { recommender: Pick<RecommenderModule, "decisionCompleteness">; integrations: Pick<IntegrationsModule, "store"> },
  now = Date.now(),
  days = 14,
): DataQuality {
  const since = Math.floor(now / DAY_MS) * DAY_MS - (days - 1) * DAY_MS;
  const { tips, reactions } = deps.recommender.decisionCompleteness(since);
  const byDay = new Map(tips.map((row) => [row.day, row]));
  const reactionsByDay = new Map(reactions.map((row) => [row.day, row]));
  const daily = Array.from({ length: days }, (_, index) => {
    const day = new Date(since + index * DAY_MS).toISOString().slice(0, 10);
    const tip = byDay.get(day);
    const reaction = reactionsByDay.get(day);
    return {
      day,
      tips: tip?.tips ?? 0,
      scored: tip?.scored ?? 0,
      rebuildable: tip?.rebuildable ?? 0,
      reactions: reaction?.reactions ?? 0,
      applied: reaction?.applied ?? 0,
    };
  }).reverse();
  const total = (key: "tips" | "rebuildable" | "reactions" | "applied") => daily.reduce((sum, day) => sum + day[key], 0);
  const connections = deps.integrations.store.quality();
  return {
    rates: {
      missingFeatures: share(total("tips") - total("rebuildable"), total("tips")),
      unknownTaskAge: share(connections.tasksWithoutAddedAt, connections.tasks),
      staleTokens: share(connections.needsReconnect, connections.integrations),
      rewardsPending: share(total("reactions") - total("applied"), total("reactions")),
    },
    integrations: connections.integrations,
    syncFailures: connections.failing,
    days: daily,
  };
}
