import type { Stats } from "../../src/admin/model.ts";
import { AdminLayout, BarChart, type BarSeries, StatCard } from "./components.tsx";

const ACTIONS = [
  ["done", "Done"],
  ["helpful", "Helpful"],
  ["snooze", "Snoozed"],
  ["not_helpful", "Not helpful"],
  ["dismiss", "Dismissed"],
  ["ignored", "No reaction"],
] as const;

const number = (value: number) => value.toLocaleString("en-US");

export function OverviewPage({ stats }: { stats: Stats }) {
  const labels = stats.days.map((day) => day.day.slice(5));
  const reactionSeries: BarSeries[] = ACTIONS.map(([action, name]) => ({
    name,
    shade: `series-${action}`,
    values: stats.days.map((day) => day.reactions[action] ?? 0),
  }));
  return (
    <AdminLayout title="Overview" path="/admin">
      <div class="stats">
        <StatCard label="Active today" value={number(stats.active.day)} note={`${number(stats.active.week)} this week · ${number(stats.active.month)} in 30 days`} />
        <StatCard label="Tips served, 30 days" value={number(stats.tipsServed)} />
        <StatCard label="Reaction rate" value={`${(stats.reactionRate * 100).toFixed(1)} %`} note="tips someone reacted to" />
      </div>
      <BarChart title="Tips served per day (UTC)" labels={labels} series={[{ name: "Tips", shade: "series-tips", values: stats.days.map((day) => day.tips) }]} />
      <BarChart title="Reactions per day, by action" labels={labels} series={reactionSeries} />
      <table class="table">
        <caption>Reactions, 30 days</caption>
        <thead>
          <tr>
            <th scope="col">Action</th>
            <th scope="col" class="num">Count</th>
          </tr>
        </thead>
        <tbody>
          {ACTIONS.map(([action, name]) => (
            <tr>
              <td>{name}</td>
              <td class="num" safe>
                {number(stats.reactions[action] ?? 0)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </AdminLayout>
  );
}
