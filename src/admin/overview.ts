import type { Activity } from "../recommender/queries.ts";
import type { Stats } from "./model.ts";

/** The overview's figures from the recommender's activity of the last 30 days. */
export function overviewStats(activity: Activity): Stats {
  const reactions: Record<string, number> = {};
  for (const day of activity.days) for (const [action, n] of Object.entries(day.reactions)) reactions[action] = (reactions[action] ?? 0) + n;
  const tipsServed = activity.days.reduce((sum, day) => sum + day.tips, 0);
  const reacted = Object.entries(reactions).reduce((sum, [action, n]) => (action === "ignored" ? sum : sum + n), 0);
  return { active: activity.active, tipsServed, reactions, reactionRate: tipsServed > 0 ? reacted / tipsServed : 0, days: activity.days };
}
