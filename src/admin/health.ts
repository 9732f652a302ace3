import type { Config } from "../config.ts";
import { type IntegrityCheck, fileSizes, quickCheck } from "../db/integrity.ts";
import { reasonOf } from "../errors.ts";
import type { EventBus } from "../events/bus.ts";
import type { JobRunner } from "../jobs/runner.ts";
import type { Scorer } from "../ml/scorer.ts";
import type { NotifierModule } from "../notifier/module.ts";
import type { RecommenderModule } from "../recommender/module.ts";
import type { Kernel } from "../runtime.ts";
import { HOUR_MS, MINUTE_MS } from "../time.ts";
import type { Backups } from "./backups.ts";
import type { HealthReport, HealthStatus } from "./model.ts";

/** A WAL this long means checkpoints are not keeping up. */
const LONG_WAL_BYTES = 256 * 1024 * 1024;
/** Decisions the heuristic served for the scorer, beyond which the scorer line turns amber. */
const FALLBACK_WARN_SHARE = 0.05;
const BACKUP_WARN_AFTER_MS = 36 * HOUR_MS;
const LLM_PROBE_TIMEOUT_MS = 5000;
const INTEGRITY_EVERY_MS = HOUR_MS;

const worst = (statuses: HealthStatus[]): HealthStatus => (statuses.includes("fail") ? "fail" : statuses.includes("warn") ? "warn" : "ok");
const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const ago = (ms: number, now: number) => {
  const minutes = Math.round((now - ms) / MINUTE_MS);
  return minutes < 1 ? "just now" : minutes < 120 ? `${minutes} min ago` : `${Math.round(minutes / 60)} h ago`;
};

export interface HealthDeps {
  config: Config;
  databasePath: string;
  bus: EventBus;
  jobs: JobRunner;
  scorer: Pick<Scorer, "status">;
  recommender: Pick<RecommenderModule, "servingOutcomes" | "settings">;
  notifier: Pick<NotifierModule, "deliveryStats">;
  backups: Backups;
  lastCheckpoint: Kernel["lastCheckpoint"];
}

/**
 * Everything an operator checks, as one report with one overall status. Slow checks (SQLite's
 * `quick_check`, hourly; reaching the LLM endpoint, every run) run in the background
 * (`checkInBackground`, the `health.checks` job every 10 minutes); the report reads their last
 * results, so building it costs a few queries.
 */
export class Health {
  private integrity: IntegrityCheck | null = null;
  private llm: { at: number; ok: boolean; detail: string } | null = null;

  constructor(private readonly deps: HealthDeps) {}

  async checkInBackground(now = Date.now()) {
    // quick_check reads every page: hourly is enough, the cheaper probe runs each time.
    const due = !this.integrity || now - this.integrity.at >= INTEGRITY_EVERY_MS;
    if (this.deps.databasePath !== ":memory:" && due) this.integrity = await quickCheck(this.deps.databasePath, now);
    const { baseUrl, apiKey } = this.deps.config.llm;
    if (baseUrl) this.llm = await probe(`${baseUrl}/models`, apiKey, now);
  }

  report(now = Date.now()): HealthReport {
    const lines = [this.database(now), this.scorerLine(now), this.busLine(), this.jobsLine(), this.pushLine(now), this.llmLine(now), this.backupLine(now)];
    return { at: now, status: worst(lines.map((line) => line.status)), lines };
  }

  private database(now: number) {
    const { databasePath, lastCheckpoint } = this.deps;
    if (databasePath === ":memory:") return { name: "Database", status: "ok" as const, summary: "In memory (nothing on disk to check)", details: [] };
    const sizes = fileSizes(databasePath);
    const checkpoint = lastCheckpoint();
    const integrity = this.integrity;
    const status: HealthStatus = integrity && !integrity.ok ? "fail" : sizes.wal > LONG_WAL_BYTES ? "warn" : "ok";
    const summary = integrity && !integrity.ok ? `Integrity check failed: ${integrity.detail}` : sizes.wal > LONG_WAL_BYTES ? "The WAL is long: checkpoints are not keeping up" : "Healthy";
    return {
      name: "Database",
      status,
      summary,
      details: [
        ["File", megabytes(sizes.database)],
        ["WAL", megabytes(sizes.wal)],
        ["Integrity (quick_check)", integrity ? `${integrity.ok ? "ok" : "failed"}, ${ago(integrity.at, now)} (${integrity.ms} ms)` : "not checked yet"],
        ["Last checkpoint", checkpoint ? `${ago(checkpoint.at, now)}, ${checkpoint.result.checkpointed} of ${checkpoint.result.log} frames` : "none yet"],
      ] as [string, string][],
    };
  }

  private scorerLine(now: number) {
    const status = this.deps.scorer.status();
    const outcomes = this.deps.recommender.servingOutcomes(now - HOUR_MS);
    const decisions = Object.values(outcomes.byStatus).reduce((sum, n) => sum + n, 0);
    const fellBack = decisions - (outcomes.byStatus.ok ?? 0) - (outcomes.byStatus.unused ?? 0);
    const share = decisions > 0 ? fellBack / decisions : 0;
    const serving = this.deps.recommender.settings.get().servingPolicy;
    const needed = serving === "linucb";
    const line: HealthStatus = !needed ? "ok" : status.state !== "up" && status.state !== "starting" ? "fail" : status.state === "starting" || share > FALLBACK_WARN_SHARE ? "warn" : "ok";
    const summary = !needed
      ? `Not needed: ${serving} serves`
      : status.state === "up"
        ? share > FALLBACK_WARN_SHARE
          ? `Up, but the heuristic stood in for ${(share * 100).toFixed(1)} % of decisions in the last hour`
          : "Up"
        : `${status.state[0]!.toUpperCase()}${status.state.slice(1)}: the heuristic serves`;
    return {
      name: "Scorer",
      status: line,
      summary,
      details: [
        ["State", `${status.state} (${status.mode}${status.version ? `, ${status.version}` : ""}${status.numpy === null ? "" : status.numpy ? ", numpy" : ", no numpy"})`],
        ["Restarts", String(status.restarts)],
        ["Last decision's latency", outcomes.lastLatencyMs === null ? "—" : `${outcomes.lastLatencyMs} ms`],
        ["Last hour", decisions === 0 ? "no decisions" : `${decisions} decision${decisions === 1 ? "" : "s"}: ${Object.entries(outcomes.byStatus).map(([name, n]) => `${n} ${name}`).join(", ")}`],
        ...(status.lastError && status.state !== "up" ? [["Last error", status.lastError]] : []),
      ] as [string, string][],
    };
  }

  private busLine() {
    return {
      name: "Event bus",
      status: "ok" as const,
      summary: "In process",
      details: [
        ["Live tail", `${this.deps.bus.tail().length} of 500 recent events held`],
        ["NATS", "not configured: one process"],
      ] as [string, string][],
    };
  }

  private jobsLine() {
    const jobs = this.deps.jobs.status();
    const failing = jobs.filter((job) => job.lastError !== null);
    return {
      name: "Jobs",
      status: failing.length > 0 ? ("warn" as const) : ("ok" as const),
      summary: failing.length > 0 ? `${failing.map((job) => job.name).join(", ")} failed on the last run` : `${jobs.length} jobs, none failing`,
      details: jobs.map((job) => [job.name, job.lastError ? `failed: ${job.lastError}` : job.lastRunAt === null ? "not run yet" : `ok, ${job.lastDurationMs} ms`]) as [string, string][],
    };
  }

  private pushLine(now: number) {
    const stats = this.deps.notifier.deliveryStats(now - 24 * HOUR_MS);
    const failing = stats.last?.status === "failed";
    return {
      name: "Web push",
      status: failing ? ("warn" as const) : ("ok" as const),
      summary: failing ? `The last delivery failed${stats.lastError ? `: ${stats.lastError.error}` : ""}` : "Keys present",
      details: [
        ["Last delivery", stats.last ? `${stats.last.status}, ${ago(stats.last.at, now)}` : "none yet"],
        ["Last 24 h", `${stats.sent} sent, ${stats.retried} retried, ${stats.failed} failed, ${stats.pruned} pruned`],
      ] as [string, string][],
    };
  }

  private llmLine(now: number) {
    const { baseUrl } = this.deps.config.llm;
    if (!baseUrl) return { name: "LLM", status: "ok" as const, summary: "Off (LLM_BASE_URL is empty)", details: [] as [string, string][] };
    const probe = this.llm;
    return {
      name: "LLM",
      status: probe && !probe.ok ? ("warn" as const) : ("ok" as const),
      summary: !probe ? "Configured, not reached yet" : probe.ok ? "Reachable" : `Unreachable: ${probe.detail}`,
      details: [
        ["Endpoint", new URL(baseUrl).host],
        ["Last probe", probe ? `${probe.detail}, ${ago(probe.at, now)}` : "not yet"],
      ] as [string, string][],
    };
  }

  private backupLine(now: number) {
    const { backups, lastFailure } = this.deps.backups.list();
    const newest = backups[0] ?? null;
    const status: HealthStatus = lastFailure ? "fail" : !newest || now - newest.at > BACKUP_WARN_AFTER_MS ? "warn" : "ok";
    const summary = lastFailure ? `The last backup failed: ${lastFailure.reason}` : newest ? (status === "warn" ? "No backup in the last 36 h" : "Recent") : "No backup yet";
    return {
      name: "Backups",
      status,
      summary,
      details: [["Newest", newest ? `${newest.name}, ${ago(newest.at, now)}` : "none"]] as [string, string][],
    };
  }
}

/** Whether the LLM endpoint answers its model list, within a few seconds. */
async function probe(url: string, apiKey: string, now: number) {
  const started = performance.now();
  try {
    const response = await fetch(url, { headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {}, signal: AbortSignal.timeout(LLM_PROBE_TIMEOUT_MS) });
    const ms = Math.round(performance.now() - started);
    return { at: now, ok: response.ok, detail: response.ok ? `answered in ${ms} ms` : `answered ${response.status}` };
  } catch (error) {
    return { at: now, ok: false, detail: reasonOf(error) };
  }
}
