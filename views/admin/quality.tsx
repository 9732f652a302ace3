import type { DataQuality } from "../../src/admin/model.ts";
import { AdminLayout, StatCard, WideTable, When } from "./components.tsx";

const percent = (value: number) => `${(value * 100).toFixed(1)} %`;

export function DataQualityPage({ quality }: { quality: DataQuality }) {
  const { rates } = quality;
  return (
    <AdminLayout title="Data quality" path="/admin/data-quality">
      <div class="stats">
        <StatCard label="Decisions that cannot be replayed" value={percent(rates.missingFeatures)} note="logged without what their candidates were made of" />
        <StatCard label="Tasks of unknown age" value={percent(rates.unknownTaskAge)} note="stored without the date they were added" />
        <StatCard label="Connections to renew" value={percent(rates.staleTokens)} note={`of ${quality.integrations} connected`} />
        <StatCard label="Rewards not yet learnt" value={percent(rates.rewardsPending)} note="waiting for the scorer (retried every 30 s)" />
      </div>
      <h2>Sync failures</h2>
      {quality.syncFailures.length === 0 ? (
        <p class="dim">Every connection synced on its last try.</p>
      ) : (
        <WideTable label="Sync failures">
          <table class="table">
            <thead>
              <tr>
                <th scope="col">Person</th>
                <th scope="col">Provider</th>
                <th scope="col">Last good sync</th>
                <th scope="col">Error</th>
              </tr>
            </thead>
            <tbody>
              {quality.syncFailures.map((failure) => (
                <tr>
                  <td>
                    <a href={`/admin/users/${encodeURIComponent(failure.userId)}`} safe>
                      {failure.userId}
                    </a>
                  </td>
                  <td safe>{failure.provider}</td>
                  <td>
                    <When ms={failure.lastSyncAt} />
                  </td>
                  <td safe>{failure.error ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </WideTable>
      )}
      <h2>Every day's log, complete?</h2>
      <WideTable label="Daily completeness">
        <table class="table">
          <caption>
            Last 14 days (UTC), newest first: each tip should have its decision and its context; each reaction should reach the bandit. A
            count short of that is amber and marked “short”.
          </caption>
          <thead>
            <tr>
              <th scope="col">Day</th>
              <th scope="col" class="num">Tips</th>
              <th scope="col" class="num">With decision</th>
              <th scope="col" class="num">With context</th>
              <th scope="col" class="num">Reactions</th>
              <th scope="col" class="num">Learnt</th>
            </tr>
          </thead>
          <tbody>
            {quality.days.map((day) => (
              <tr>
                <td safe>{day.day}</td>
                {(
                  [
                    [day.tips, day.tips],
                    [day.scored, day.tips],
                    [day.rebuildable, day.tips],
                    [day.reactions, day.reactions],
                    [day.applied, day.reactions],
                  ] as const
                ).map(([value, expected]) => (
                  // Short of what the day should have: amber.
                  <td class={value < expected ? "num short" : "num"} safe>
                    {value < expected ? `${value} short` : String(value)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </WideTable>
    </AdminLayout>
  );
}
