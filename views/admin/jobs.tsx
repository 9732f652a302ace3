import type { Jobs, Logs } from "../../src/admin/model.ts";
import { AdminLayout, Notice, WideTable, When } from "./components.tsx";

const every = (ms: number) => (ms >= 86_400_000 ? `${ms / 86_400_000} d` : ms >= 3_600_000 ? `${ms / 3_600_000} h` : ms >= 60_000 ? `${ms / 60_000} min` : `${ms / 1000} s`);

const lastError = (job: Jobs["jobs"][number]): string => (job.lastError ? `${job.lastError} (${job.failures} of ${job.runs} runs failed)` : "—");

export function JobsPage({ jobs, done }: { jobs: Jobs; done?: string }) {
  return (
    <AdminLayout title="Jobs" path="/admin/jobs">
      <Notice text={done} />
      <WideTable label="Jobs">
        <table class="table">
          <caption>Background jobs of this server</caption>
          <thead>
            <tr>
              <th scope="col">Job</th>
              <th scope="col">Every</th>
              <th scope="col">Last run</th>
              <th scope="col" class="num">Took</th>
              <th scope="col">Next run</th>
              <th scope="col">Last error</th>
              <th scope="col">
                <span class="sr-only">Run</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {jobs.jobs.map((job) => (
              <tr>
                <td safe>{job.name}</td>
                <td safe>{every(job.intervalMs)}</td>
                <td>{job.running ? "running now" : <When ms={job.lastRunAt} />}</td>
                <td class="num" safe>
                  {job.lastDurationMs === null ? "—" : `${Math.round(job.lastDurationMs)} ms`}
                </td>
                <td>
                  <When ms={job.nextRunAt} />
                </td>
                <td safe>{lastError(job)}</td>
                <td>
                  <form method="post" action={`/admin/jobs/${encodeURIComponent(job.name)}/run`}>
                    <button type="submit" class="quiet small" aria-label={`Run now: ${job.name}`}>
                      Run now
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </WideTable>
    </AdminLayout>
  );
}

export function LogsPage({ logs, level }: { logs: Logs; level: "warn" | "error" }) {
  return (
    <AdminLayout title="Logs" path="/admin/logs">
      <nav class="filter-tabs" aria-label="Level">
        <a href="/admin/logs" aria-current={level === "warn" ? "page" : undefined}>
          Warnings and errors
        </a>
        <a href="/admin/logs?level=error" aria-current={level === "error" ? "page" : undefined}>
          Errors only
        </a>
      </nav>
      {logs.lines.length === 0 ? (
        <p class="notice">Nothing has gone wrong since the server started.</p>
      ) : (
        <WideTable label="Log lines">
          <table class="table">
            <caption safe>{`The last ${logs.lines.length} lines, newest first (secrets are never logged)`}</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Level</th>
                <th scope="col">Message</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {logs.lines.map((line) => (
                <tr>
                  <td>
                    <When ms={Date.parse(line.time)} seconds />
                  </td>
                  <td safe>{line.level}</td>
                  <td safe>{line.msg}</td>
                  <td class="code" safe>
                    {JSON.stringify(line.fields)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </WideTable>
      )}
    </AdminLayout>
  );
}
