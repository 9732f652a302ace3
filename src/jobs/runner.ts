import type { Logger } from "../log.ts";
import { reasonOf } from "../errors.ts";

export interface JobSpec {
  name: string;
  intervalMs: number;
  /** Delay before the first run; 0 runs at start. */
  startDelayMs?: number;
  run: (signal: AbortSignal) => Promise<unknown> | unknown;
}

export interface JobStatus {
  name: string;
  intervalMs: number;
  running: boolean;
  runs: number;
  failures: number;
  lastRunAt: number | null;
  lastDurationMs: number | null;
  lastError: string | null;
  nextRunAt: number | null;
}

interface Job extends JobStatus {
  spec: JobSpec;
  timer: ReturnType<typeof setTimeout> | null;
  inFlight: Promise<void> | null;
}

/**
 * In-process timers with the guarantees background work needs: a job never overlaps itself,
 * a failing run is logged and the schedule continues, and `stop` waits for runs in flight.
 */
export class JobRunner {
  private readonly jobs = new Map<string, Job>();
  private readonly abort = new AbortController();
  private started = false;

  constructor(private readonly log: Logger) {}

  add(spec: JobSpec): void {
    if (this.jobs.has(spec.name)) throw new Error(`job ${spec.name} is already registered`);
    const job: Job = {
      spec,
      name: spec.name,
      intervalMs: spec.intervalMs,
      running: false,
      runs: 0,
      failures: 0,
      lastRunAt: null,
      lastDurationMs: null,
      lastError: null,
      nextRunAt: null,
      timer: null,
      inFlight: null,
    };
    this.jobs.set(spec.name, job);
    if (this.started) this.schedule(job, spec.startDelayMs ?? 0);
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    for (const job of this.jobs.values()) this.schedule(job, job.spec.startDelayMs ?? 0);
  }

  /** Runs a job now (e.g. a sync right after a connect). If it is running, waits for that run instead. */
  async trigger(name: string): Promise<void> {
    const job = this.jobs.get(name);
    if (!job) throw new Error(`no job named ${name}`);
    if (job.inFlight) return job.inFlight;
    if (this.abort.signal.aborted) return;
    if (job.timer) clearTimeout(job.timer);
    await this.execute(job);
  }

  status(): JobStatus[] {
    return [...this.jobs.values()].map(({ spec: _spec, timer: _timer, inFlight: _inFlight, ...status }) => status);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    for (const job of this.jobs.values()) {
      if (job.timer) clearTimeout(job.timer);
      job.timer = null;
      job.nextRunAt = null;
    }
    await Promise.all([...this.jobs.values()].map((job) => job.inFlight));
  }

  private schedule(job: Job, delayMs: number) {
    if (this.abort.signal.aborted) return;
    job.nextRunAt = Date.now() + delayMs;
    job.timer = setTimeout(() => void this.execute(job), delayMs);
    // Timers never keep the process alive on their own; the server does.
    job.timer.unref?.();
  }

  private execute(job: Job): Promise<void> {
    job.timer = null;
    job.nextRunAt = null;
    job.running = true;
    const startedAt = Date.now();
    job.inFlight = (async () => {
      // Yield first: a run that fails synchronously must still finish after `inFlight` is set.
      await Promise.resolve();
      try {
        await job.spec.run(this.abort.signal);
        job.lastError = null;
      } catch (error) {
        job.failures++;
        job.lastError = reasonOf(error);
        this.log.error({ err: error, job: job.name }, "job failed");
      } finally {
        job.runs++;
        job.running = false;
        job.lastRunAt = startedAt;
        job.lastDurationMs = Date.now() - startedAt;
        job.inFlight = null;
        if (this.started) this.schedule(job, job.spec.intervalMs);
      }
    })();
    return job.inFlight;
  }
}
