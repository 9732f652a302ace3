import { t } from "elysia";

const Count = t.Integer({ minimum: 0 });

/** `GET /api/admin/stats` and the overview page: the same figures. */
export const StatsSchema = t.Object({
  /** People served a tip in the last day, week and 30 days. */
  active: t.Object({ day: Count, week: Count, month: Count }),
  tipsServed: Count,
  /** Standing reactions of the 30 days, by action ("ignored" is the system's weak negative). */
  reactions: t.Record(t.String(), Count),
  /** The share of tips served that someone reacted to (ignored ones not counted), 0 with none served. */
  reactionRate: t.Number({ minimum: 0 }),
  days: t.Array(t.Object({ day: t.String(), tips: Count, reactions: t.Record(t.String(), Count) })),
});
export type Stats = typeof StatsSchema.static;
