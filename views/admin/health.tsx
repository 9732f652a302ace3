import type { HealthReport, HealthStatus } from "../../src/admin/model.ts";
import { AdminLayout, utc } from "./components.tsx";

const LABELS: Record<HealthStatus, string> = { ok: "OK", warn: "Needs a look", fail: "Failing" };

/** The report, polled every 10 s while the tab is visible (views/public/admin.js). */
export function HealthReportView({ report }: { report: HealthReport }) {
  return (
    <section id="health" data-live hx-get="/admin/health/report" hx-trigger="every 10s" hx-swap="outerHTML" aria-label="Health report">
      <p class={`overall status-${report.status}`} role="status">
        <span class="dot" aria-hidden="true"></span>
        <span safe>{`${LABELS[report.status]} · checked ${utc(report.at)}`}</span>
      </p>
      <div class="health-lines">
        {report.lines.map((line) => (
          <article class={`health-line status-${line.status}`} aria-label={line.name}>
            <h2>
              <span class="dot" aria-hidden="true"></span>
              <span safe>{line.name}</span>
              <span class="status-label" safe>
                {LABELS[line.status]}
              </span>
            </h2>
            <p safe>{line.summary}</p>
            {line.details.length > 0 ? (
              <dl class="facts">
                {line.details.map(([term, value]) => (
                  <>
                    <dt safe>{term}</dt>
                    <dd safe>{value}</dd>
                  </>
                ))}
              </dl>
            ) : (
              ""
            )}
          </article>
        ))}
      </div>
    </section>
  );
}

export function HealthPage({ report }: { report: HealthReport }) {
  return (
    <AdminLayout title="Health" path="/admin/health" htmx scripts={["admin.js"]}>
      <HealthReportView report={report} />
    </AdminLayout>
  );
}
