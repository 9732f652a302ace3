import scorerSource from "../../ml/scorer.py" with { type: "text" };
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { PipedSubprocess } from "bun";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";

/**
 * The client of the stateless Python scorer (`ml/scorer.py`, where the protocol is documented).
 * By default it runs the script embedded in the executable as one long-lived child process and
 * multiplexes every call over its stdin/stdout by id; with `ML_SERVING_URL` the same calls go
 * over HTTP. Every failure is a `ScorerUnavailable` naming why, so callers can fall back to
 * their heuristic and record the reason.
 */

/** A user's LinUCB model, exactly as the scorer reads and writes it. `null` in a request = a fresh model. */
export interface BanditState {
  d: number;
  /** d×d inverse of A = I + Σ x xᵀ. */
  A_inv: number[][];
  /** Σ reward·x. */
  b: number[];
  pulls: number;
  reward_sum: number;
}

/** A candidate's id is opaque to the scorer (a string or a number), echoed in `chosen` and `detail`. */
export type CandidateId = string | number;

export interface ScoreCandidate {
  id: CandidateId;
  x: number[];
}

export interface ScoreParams {
  alpha: number;
  epsilon: number;
  /** Makes the exploration draw reproducible (tests, replays). */
  seed?: number;
  /** False leaves `detail` out of the reply, which the serving path does not read. */
  detail?: boolean;
}

/**
 * Candidates with ids of the caller's choosing, or bare vectors (`xs`) whose ids are their indexes.
 * Bare vectors travel packed in binary and their scores come back packed (see `packScoreRequest`),
 * which is why the serving path sends those.
 */
export type ScoreRequest = { policy: "linucb"; params: ScoreParams; state: BanditState | null } & (
  | { candidates: ScoreCandidate[] }
  | { xs: number[][] }
);

export interface ScoreDetail {
  id: CandidateId;
  mean: number;
  bonus: number;
}

export interface ScoreResult {
  /** mean + bonus, in candidate order. */
  scores: number[];
  chosen: CandidateId;
  /** Probability the policy had of picking `chosen`, in (0, 1]. */
  propensity: number;
  /** Absent when the request asked for `detail: false`. */
  detail?: ScoreDetail[];
}

export interface UpdateRequest {
  policy: "linucb";
  state: BanditState | null;
  x: number[];
  reward: number;
}

export interface UpdateResult {
  state: BanditState;
}

export interface ScorerHealth {
  ok: true;
  version: string;
  numpy: boolean;
}

export interface CallOptions {
  /** Sent as the `traceparent` header in HTTP mode; the child logs nothing per call, so it is not sent there. */
  traceparent?: string;
}

/**
 * Why a call got no answer: `timeout` (no reply within ML_TIMEOUT_MS), `down` (the child died and is
 * restarting, the remote is unreachable, or the scorer is closed), `absent` (the interpreter cannot
 * be run at all), `busy` (too many calls already queued at the child), `error` (the scorer refused
 * the request; the message is its own).
 */
export type ScorerFailure = "timeout" | "down" | "absent" | "busy" | "error";

export class ScorerUnavailable extends Error {
  override readonly name = "ScorerUnavailable";
  constructor(
    readonly reason: ScorerFailure,
    message: string,
  ) {
    super(message);
  }
}

export type ScorerState = "starting" | "up" | "down" | "absent" | "closed";

export interface ScorerStatus {
  mode: "child" | "http";
  state: ScorerState;
  restarts: number;
  lastError: string | null;
  /** The child's pid while one runs (child mode). */
  pid: number | null;
  /** From the last health answer. */
  version: string | null;
  numpy: boolean | null;
}

export interface Scorer {
  score(request: ScoreRequest, options?: CallOptions): Promise<ScoreResult>;
  update(request: UpdateRequest, options?: CallOptions): Promise<UpdateResult>;
  health(options?: CallOptions): Promise<ScorerHealth>;
  status(): ScorerStatus;
  /** Stops the child (or stops calling the remote); calls after this fail as `down`. */
  close(): Promise<void>;
}

export function createScorer({ config, log }: { config: Config; log: Logger }): Scorer {
  return config.ml.servingUrl ? new HttpScorer(config, log) : new ChildScorer(config, log);
}

const FIRST_RESTART_DELAY_MS = 100;
const MAX_RESTART_DELAY_MS = 5_000;
/**
 * Lines written to the child and not answered yet (timed-out ones included, the child still works
 * through them). Past this, a new call would wait behind a queue it cannot beat its timeout through,
 * and adding to it only delays the calls that still can, so it fails at once.
 */
export const MAX_QUEUED_CALLS = 256;
/**
 * A child that answers nothing for this many call timeouts (and at least HUNG_AFTER_MS) while calls
 * wait on it is hung, alive but stuck: it is killed, and restarted like one that died. A working
 * child answers a line every fraction of a millisecond even when far behind, and the serving path
 * never sends it a call that takes more than a few.
 */
const HUNG_AFTER_TIMEOUTS = 10;
export const HUNG_AFTER_MS = 2_000;

/** Names of variables that hold credentials; the scorer needs none of them. */
const SECRET_VARIABLE = /SECRET|TOKEN|KEY|PASSWORD|DSN/i;

/**
 * The environment as it is now (Bun's default is a copy taken at start), without credentials:
 * the interpreter keeps PATH, HOME, locale and its own settings, and nothing it could leak.
 */
function scorerEnvironment(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined && !SECRET_VARIABLE.test(entry[0])),
  );
}

const initialStatus = (mode: ScorerStatus["mode"]): ScorerStatus => ({
  mode,
  state: "starting",
  restarts: 0,
  lastError: null,
  pid: null,
  version: null,
  numpy: null,
});

const errorMessage = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Writes the embedded script where the interpreter can read it; a child cannot read the executable's files. */
function installScript(path: string): void {
  let current: string | null = null;
  try {
    current = readFileSync(path, "utf8");
  } catch {}
  if (current === scorerSource) return;
  mkdirSync(dirname(path), { recursive: true });
  // Atomic, so another process starting from the same data dir never runs half a script.
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, scorerSource);
  renameSync(temporary, path);
}

/** Calls `onLine` for each line of a byte stream as it arrives: one reader for the stream's whole life. */
async function forEachLine(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  const reader = stream.getReader();
  let buffered = "";
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    buffered += decoder.decode(read.value, { stream: true });
    let start = 0;
    let newline = buffered.indexOf("\n");
    while (newline !== -1) {
      onLine(buffered.slice(start, newline));
      start = newline + 1;
      newline = buffered.indexOf("\n", start);
    }
    buffered = buffered.slice(start);
  }
  if (buffered) onLine(buffered);
}

/** Writing to a child that just died fails (EPIPE); `exited` fails its calls, so the error carries no news. */
function ignoreBrokenPipe(write: () => number | Promise<number>) {
  try {
    const written = write();
    if (written instanceof Promise) written.catch(() => {});
  } catch {}
}

interface PendingCall {
  resolve(reply: unknown): void;
  reject(error: ScorerUnavailable): void;
  timer: ReturnType<typeof setTimeout> | null;
}

interface Reply {
  id: unknown;
  error?: unknown;
}

/**
 * Bare vectors go to the scorer as little-endian float64 values in base64 (`d` and `xs_f64`), and
 * their scores come back the same way (`scores_f64`): the very same doubles as in JSON, which the
 * scorer reads and writes in half the time decimal numbers take (a quarter less of its CPU a call).
 */
function packScoreRequest(request: ScoreRequest): object {
  if (!("xs" in request)) return request;
  const { xs, ...rest } = request;
  const d = xs[0]?.length ?? 0;
  const packed = Buffer.allocUnsafe(xs.length * d * 8); // every byte is written below
  xs.forEach((x, row) => {
    if (x.length !== d) throw new ScorerUnavailable("error", `xs[${row}] has ${x.length} values, xs[0] has ${d}`);
    x.forEach((value, column) => packed.writeDoubleLE(value, (row * d + column) * 8));
  });
  return { ...rest, d, xs_f64: packed.toString("base64") };
}

function unpackScoreResult(reply: ScoreResult & { scores_f64?: unknown }): ScoreResult {
  if (typeof reply.scores_f64 !== "string") return reply;
  const { scores_f64, ...rest } = reply;
  const packed = Buffer.from(scores_f64, "base64");
  return { ...rest, scores: Array.from({ length: Math.floor(packed.length / 8) }, (_, index) => packed.readDoubleLE(index * 8)) };
}

class ChildScorer implements Scorer {
  private readonly scriptPath: string;
  private readonly pending = new Map<number, PendingCall>();
  private child: PipedSubprocess | null = null;
  private nextId = 1;
  /** Lines the current child has not answered yet. */
  private queued = 0;
  /** Since when lines written to the child have waited with no line back; null while none waits. */
  private silentSince: number | null = null;
  private silenceWatch: ReturnType<typeof setTimeout> | null = null;
  private flushScheduled = false;
  private outgoing = "";
  private restartTimer: ReturnType<typeof setTimeout> | null = null;
  private restartDelayMs = FIRST_RESTART_DELAY_MS;
  private current = initialStatus("child");

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
  ) {
    this.scriptPath = join(config.dataDir, "ml", "scorer.py");
    try {
      installScript(this.scriptPath);
    } catch (error) {
      this.becomeAbsent(`cannot write ${this.scriptPath}: ${errorMessage(error)}`);
      return;
    }
    this.spawn();
  }

  async score(request: ScoreRequest): Promise<ScoreResult> {
    return unpackScoreResult(await this.call("score", packScoreRequest(request), this.config.ml.timeoutMs));
  }

  update(request: UpdateRequest): Promise<UpdateResult> {
    return this.call("update", request, this.config.ml.timeoutMs);
  }

  health(): Promise<ScorerHealth> {
    return this.call<ScorerHealth>("health", {}, this.config.ml.timeoutMs).then((health) => this.noteHealth(health));
  }

  status(): ScorerStatus {
    return { ...this.current, pid: this.child?.pid ?? null };
  }

  async close(): Promise<void> {
    if (this.current.state === "closed") return;
    this.current.state = "closed";
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const child = this.child;
    this.child = null;
    this.failPending(new ScorerUnavailable("down", "the scorer is closed"));
    if (child) {
      child.kill();
      await child.exited;
    }
  }

  private spawn() {
    let child: PipedSubprocess;
    try {
      child = Bun.spawn([this.config.ml.python, "-u", this.scriptPath], {
        env: scorerEnvironment(),
        stdin: "pipe",
        stdout: "pipe",
        stderr: "pipe",
      });
    } catch (error) {
      this.becomeAbsent(`cannot run ${this.config.ml.python}: ${errorMessage(error)}`);
      return;
    }
    // Like the job timers, the scorer never keeps the process alive on its own; the server does.
    child.unref();
    this.child = child;
    this.queued = 0;
    this.silentSince = null;
    if (this.silenceWatch) clearTimeout(this.silenceWatch);
    this.silenceWatch = null;
    this.current.state = "starting";
    void forEachLine(child.stdout, (line) => {
      if (this.child !== child) return;
      this.settle(line);
      this.silentSince = this.queued > 0 ? performance.now() : null;
    });
    void forEachLine(child.stderr, (line) => {
      if (line.trim()) this.log.warn({ pid: child.pid, line }, "scorer stderr");
    });
    void child.exited.then((code) => this.exited(child, code));

    // No timeout: this answer is what marks the child up, however long the interpreter takes to
    // start. Calls made meanwhile are queued in the pipe and answered if it starts in time.
    const startedAt = performance.now();
    this.call<ScorerHealth>("health", {}, null).then(
      (health) => {
        if (this.child !== child) return;
        this.noteHealth(health);
        this.current.state = "up";
        this.restartDelayMs = FIRST_RESTART_DELAY_MS;
        const startupMs = Math.round(performance.now() - startedAt);
        this.log.info({ pid: child.pid, version: health.version, numpy: health.numpy, startupMs }, "scorer is up");
      },
      // The child died first; `exited` has recorded why and scheduled the restart.
      () => {},
    );
  }

  private becomeAbsent(reason: string) {
    this.current.state = "absent";
    this.current.lastError = reason;
    this.log.error({ python: this.config.ml.python }, `scorer unavailable, recommendations use the heuristic: ${reason}`);
  }

  private exited(child: PipedSubprocess, code: number) {
    if (this.child !== child) return;
    this.child = null;
    const how = child.signalCode ? `was killed by ${child.signalCode}` : `exited with code ${code}`;
    this.current.lastError = `the scorer ${how}`;
    this.current.state = "down";
    this.failPending(new ScorerUnavailable("down", this.current.lastError));
    const delayMs = this.restartDelayMs;
    this.restartDelayMs = Math.min(delayMs * 2, MAX_RESTART_DELAY_MS);
    this.log.warn({ pid: child.pid, restartInMs: delayMs }, `${this.current.lastError}; restarting it`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.current.restarts++;
      this.spawn();
    }, delayMs);
    this.restartTimer.unref?.();
  }

  private call<T>(op: string, request: object, timeoutMs: number | null): Promise<T> {
    const child = this.child;
    if (!child) return Promise.reject(this.unavailable());
    if (this.queued >= MAX_QUEUED_CALLS) {
      return Promise.reject(new ScorerUnavailable("busy", `${this.queued} scorer calls are already waiting`));
    }
    const id = this.nextId++;
    const line = `${JSON.stringify({ id, op, ...request })}\n`;
    return new Promise<T>((resolve, reject) => {
      const timer =
        timeoutMs === null
          ? null
          : setTimeout(() => {
              this.pending.delete(id);
              reject(new ScorerUnavailable("timeout", `the scorer did not answer ${op} within ${timeoutMs} ms`));
            }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (reply: unknown) => void, reject, timer });
      this.queued++;
      this.write(child, line);
    });
  }

  /**
   * Watches, on a timer of its own, a child that lines wait on: new calls may all be refused as busy
   * by then, or stop coming. Not while the child starts: the interpreter's start-up may take longer
   * than any call is allowed to.
   */
  private watchForSilence(child: PipedSubprocess) {
    if (this.silenceWatch) return;
    const hungAfterMs = Math.max(HUNG_AFTER_TIMEOUTS * this.config.ml.timeoutMs, HUNG_AFTER_MS);
    const arm = (delayMs: number) => {
      const watch = setTimeout(() => check(watch), delayMs);
      watch.unref?.();
      this.silenceWatch = watch;
    };
    // Judged after this turn's I/O, so replies already in the pipe count (the loop may have stalled).
    const check = (watch: ReturnType<typeof setTimeout>) =>
      setImmediate(() => {
        if (this.silenceWatch !== watch) return; // a restart replaced it
        this.silenceWatch = null;
        if (this.child !== child || child.killed || this.silentSince === null) return;
        const silentMs = performance.now() - this.silentSince;
        if (this.current.state !== "up") return arm(hungAfterMs);
        if (silentMs < hungAfterMs) return arm(hungAfterMs - silentMs);
        this.log.warn({ pid: child.pid, silentMs: Math.round(silentMs), waiting: this.queued }, "the scorer answers nothing; killing it to restart it");
        child.kill("SIGKILL");
      });
    arm(hungAfterMs);
  }

  private unavailable(): ScorerUnavailable {
    const { state, lastError } = this.current;
    if (state === "absent") return new ScorerUnavailable("absent", lastError ?? "the scorer cannot run");
    if (state === "closed") return new ScorerUnavailable("down", "the scorer is closed");
    return new ScorerUnavailable("down", `${lastError ?? "the scorer is down"}; restarting`);
  }

  /**
   * Gathers the lines of one turn of the event loop (every request that arrived together) and
   * writes them at once: a write to the pipe per call cost more than building the call.
   */
  private write(child: PipedSubprocess, line: string) {
    this.outgoing += line;
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      const lines = this.outgoing;
      this.outgoing = "";
      this.flushScheduled = false;
      ignoreBrokenPipe(() => child.stdin.write(lines));
      ignoreBrokenPipe(() => child.stdin.flush());
      // The child's silence counts from when it was given something to answer.
      this.silentSince ??= performance.now();
      this.watchForSilence(child);
    });
  }

  private settle(line: string) {
    let reply: Reply;
    try {
      reply = JSON.parse(line);
    } catch {
      this.log.warn({ line: line.slice(0, 200) }, "the scorer wrote a line that is not JSON");
      return;
    }
    this.queued--;
    const call = typeof reply.id === "number" ? this.pending.get(reply.id) : undefined;
    // No call: it timed out already, or the scorer could not read the request's id.
    if (!call) {
      if (typeof reply.error === "string") this.log.warn({ error: reply.error }, "scorer error without a waiting call");
      return;
    }
    this.pending.delete(reply.id as number);
    if (call.timer) clearTimeout(call.timer);
    if (typeof reply.error === "string") call.reject(new ScorerUnavailable("error", reply.error));
    else call.resolve(reply);
  }

  private failPending(error: ScorerUnavailable) {
    for (const call of this.pending.values()) {
      if (call.timer) clearTimeout(call.timer);
      call.reject(error);
    }
    this.pending.clear();
  }

  private noteHealth(health: ScorerHealth): ScorerHealth {
    this.current.version = health.version;
    this.current.numpy = health.numpy;
    return health;
  }
}

class HttpScorer implements Scorer {
  private readonly baseUrl: string;
  private closed = false;
  private current = initialStatus("http");

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
  ) {
    this.baseUrl = config.ml.servingUrl;
    // Fills the status (state, version) before the first real call; a failure is already recorded there.
    this.health().catch(() => {});
  }

  async score(request: ScoreRequest, options: CallOptions = {}): Promise<ScoreResult> {
    return unpackScoreResult(await this.call("POST", "/score", packScoreRequest(request), options));
  }

  update(request: UpdateRequest, options: CallOptions = {}): Promise<UpdateResult> {
    return this.call("POST", "/update", request, options);
  }

  async health(options: CallOptions = {}): Promise<ScorerHealth> {
    const health = await this.call<ScorerHealth>("GET", "/health", null, options);
    this.current.version = health.version;
    this.current.numpy = health.numpy;
    return health;
  }

  status(): ScorerStatus {
    return { ...this.current, state: this.closed ? "closed" : this.current.state };
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private async call<T>(method: "GET" | "POST", path: string, body: object | null, options: CallOptions): Promise<T> {
    if (this.closed) throw new ScorerUnavailable("down", "the scorer is closed");
    const url = `${this.baseUrl}${path}`;
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (options.traceparent) headers.traceparent = options.traceparent;
    const timeoutMs = this.config.ml.timeoutMs;
    let status: number;
    let text: string;
    try {
      const response = await fetch(url, {
        method,
        headers,
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      if (error instanceof Error && error.name === "TimeoutError") {
        throw this.failed("timeout", `the scorer at ${url} did not answer within ${timeoutMs} ms`);
      }
      throw this.failed("down", `the scorer at ${url} is unreachable: ${errorMessage(error)}`);
    }
    let reply: Reply;
    try {
      reply = JSON.parse(text);
    } catch {
      throw this.failed("down", `the scorer at ${url} answered HTTP ${status} with a body that is not JSON`);
    }
    if (status !== 200 && !(status === 400 && typeof reply.error === "string")) {
      throw this.failed("down", `the scorer at ${url} answered HTTP ${status}`);
    }
    this.current.state = "up";
    if (status === 200) return reply as T;
    throw new ScorerUnavailable("error", String(reply.error));
  }

  private failed(reason: ScorerFailure, message: string): ScorerUnavailable {
    if (reason === "down") {
      if (this.current.state !== "down") this.log.warn({ url: this.baseUrl }, message);
      this.current.state = "down";
    }
    this.current.lastError = message;
    return new ScorerUnavailable(reason, message);
  }
}
