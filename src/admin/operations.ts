import type { EventBus } from "../events/bus.ts";
import { eventHistory } from "../events/queries.ts";
import type { Db } from "../db/client.ts";
import { AppError } from "../errors.ts";
import type { JobRunner } from "../jobs/runner.ts";
import { type Logger, problemsOf } from "../log.ts";
import type { AuditLog } from "./audit.ts";
import type { EventHistory, Jobs, LiveEvents, Logs } from "./model.ts";

/** Payloads are stored as JSON text; the console hands them on as objects. */
const parsed = (payload: string | unknown) => (typeof payload === "string" ? (JSON.parse(payload) as unknown) : payload);

/** A date or time the history is filtered by, as typed into the form or the query (UTC unless it says otherwise). */
function instant(value: string | undefined, name: string): number | undefined {
  if (!value) return undefined;
  const at = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(value) || /^\d{4}-\d\d-\d\d$/.test(value) ? value : `${value}Z`);
  if (Number.isNaN(at)) throw new AppError("invalid", "invalid_time", `${name}: not a date or time (for example 2026-12-05 or 2026-12-05T14:30).`);
  return at;
}

/** What the console shows of the running instance: events (live and stored), background jobs, recent problems. */
export class Operations {
  constructor(
    private readonly deps: { db: Db; bus: EventBus; jobs: JobRunner; log: Logger; audit: AuditLog },
  ) {}

  liveEvents(filter: { subject?: string; user?: string; after?: number }): LiveEvents {
    const events = this.deps.bus.tail({ subject: filter.subject, userId: filter.user, afterSeq: filter.after, limit: 100 });
    return { events: events.map((event) => ({ ...event, payload: parsed(event.payload) })) };
  }

  eventHistory(filter: { subject?: string; user?: string; from?: string; to?: string; before?: number; limit?: number }): EventHistory {
    const limit = filter.limit ?? 50;
    const from = instant(filter.from, "from");
    const to = instant(filter.to, "to");
    if (from !== undefined && to !== undefined && from >= to) throw new AppError("invalid", "invalid_range", "from must come before to.");
    const rows = eventHistory(this.deps.db, {
      subject: filter.subject,
      userId: filter.user,
      from,
      to,
      beforeId: filter.before,
      limit: limit + 1,
    });
    const events = rows.slice(0, limit).map((row) => ({ ...row, payload: parsed(row.payload) }));
    return { events, next: rows.length > limit ? events.at(-1)!.id : null };
  }

  jobs(): Jobs {
    return { jobs: this.deps.jobs.status().toSorted((a, b) => a.name.localeCompare(b.name)) };
  }

  /** Starts a job now (a run already going is left to finish); audited. The run goes on in the background. */
  runJob(adminId: string, name: string): string {
    if (!this.deps.jobs.status().some((job) => job.name === name)) throw new AppError("not_found", "no_such_job", `There is no job named ${name}.`);
    void this.deps.jobs.trigger(name).catch(() => undefined); // a failing run is logged and shown by the runner
    this.deps.audit.record({ actorId: adminId, action: "job.run", targetId: null, result: "ok", detail: `Started ${name}` });
    return this.startedNotice(name)!;
  }

  /** What the jobs page says after "Run now" of `name` (the address it is sent to names the job); null for no such job. */
  startedNotice(name: string | undefined): string | null {
    if (!name || !this.deps.jobs.status().some((job) => job.name === name)) return null;
    return `Started ${name}: its line below shows when it has run.`;
  }

  /** The last warn and error lines, newest first; `level: "error"` for errors only. */
  logs(level: "warn" | "error" = "warn"): Logs {
    const lines = problemsOf(this.deps.log)
      .recent()
      .filter((line) => level === "warn" || line.level === "error" || line.level === "fatal")
      .map(({ time, level: lineLevel, msg, ...fields }) => ({ time: String(time), level: String(lineLevel), msg: String(msg ?? ""), fields }));
    return { lines };
  }
}
