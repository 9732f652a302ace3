import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { PipedSubprocess } from "bun";
import { AppError, reasonOf } from "../errors.ts";
import type { Logger } from "../log.ts";
import { type Reply, ScorerUnavailable } from "./protocol.ts";

/**
 * A long-lived Python child that answers JSON lines by id: `{"id", "op", ...}` in on stdin, one
 * `{"id", ...}` or `{"id", "error"}` line out on stdout per request, in any order. The scripts are
 * embedded in the executable and written to a directory the interpreter can read; the child gets
 * the environment without credentials, is restarted with backoff when it dies and killed when it
 * hangs. Every call that gets no answer fails as a `ScorerUnavailable` naming why.
 *
 * Nothing here is the scorer's: which scripts, which op marks a fresh child up and how the worker
 * is named are options, so another worker (a simulator, a benchmark) runs the same way.
 */
export interface PythonWorkerOptions {
  /** Names the worker in log lines and errors: "scorer is up", "the scorer exited with code 1". */
  name: string;
  /** The interpreter to run (PYTHON). */
  python: string;
  /** Where the scripts are written; a child cannot read the executable's embedded files. */
  directory: string;
  /**
   * File name → source, written side by side in `directory`, in this order: put `entry` last, so a
   * child never runs a new entry script against the modules it replaces.
   */
  scripts: Record<string, string>;
  /** The script run, one of `scripts`. */
  entry: string;
  /** A call's deadline when it gives none; also what the hung-child watchdog counts in. */
  timeoutMs: number;
  /** The op whose answer marks a fresh child up; sent with no deadline as soon as it spawns. */
  readyOp: string;
  /** Fields of the ready answer to log with "<name> is up" (and to keep, for the caller's status). */
  onReady?(reply: unknown): Record<string, unknown>;
  /** What callers do while the worker cannot run at all, for the error log: "recommendations use the heuristic". */
  whenAbsent: string;
  log: Logger;
}

/** `stopped` until `start`, `starting` until the ready op answers, `closed` after `close`. */
export type WorkerState = "stopped" | "starting" | "up" | "down" | "absent" | "closed";

export interface WorkerStatus {
  state: WorkerState;
  restarts: number;
  lastError: string | null;
  /** The child's pid while one runs. */
  pid: number | null;
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

/** Names of variables that hold credentials; no worker needs any of them. */
const SECRET_VARIABLE = /SECRET|TOKEN|KEY|PASSWORD|DSN/i;

/**
 * The environment as it is now (Bun's default is a copy taken at start), without credentials:
 * the interpreter keeps PATH, HOME, locale and its own settings, and nothing it could leak.
 */
function workerEnvironment(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined && !SECRET_VARIABLE.test(entry[0])),
  );
}

/**
 * Writes each script whose file differs from it, in order. Each file is replaced atomically, so
 * another process starting from the same data dir never runs half a script; one that starts between
 * two files may pair a new module with the old entry script (entry last), and a child that fails on
 * that is restarted with the full set.
 */
export function installScripts(directory: string, scripts: Record<string, string>): void {
  for (const [name, source] of Object.entries(scripts)) {
    const path = join(directory, name);
    let current: string | null = null;
    try {
      current = readFileSync(path, "utf8");
    } catch {}
    if (current === source) continue;
    try {
      mkdirSync(directory, { recursive: true });
      const temporary = `${path}.${process.pid}.tmp`;
      writeFileSync(temporary, source);
      renameSync(temporary, path);
    } catch (error) {
      throw new Error(`cannot write ${path}: ${reasonOf(error)}`);
    }
  }
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

export class PythonWorker {
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
  private current: WorkerStatus = { state: "stopped", restarts: 0, lastError: null, pid: null };

  constructor(private readonly options: PythonWorkerOptions) {}

  /** Writes the scripts and spawns the child; once only, and never after `close`. */
  start(): void {
    if (this.current.state !== "stopped") return;
    try {
      installScripts(this.options.directory, this.options.scripts);
    } catch (error) {
      this.becomeAbsent(reasonOf(error));
      return;
    }
    this.spawn();
  }

  /** One request; `timeoutMs` null waits as long as the child lives. */
  call<T>(op: string, request: object, timeoutMs: number | null = this.options.timeoutMs): Promise<T> {
    const child = this.child;
    if (!child) return Promise.reject(this.unavailable());
    if (this.queued >= MAX_QUEUED_CALLS) {
      return Promise.reject(new ScorerUnavailable("busy", `${this.queued} ${this.options.name} calls are already waiting`));
    }
    const id = this.nextId++;
    const line = `${JSON.stringify({ id, op, ...request })}\n`;
    return new Promise<T>((resolve, reject) => {
      const timer =
        timeoutMs === null
          ? null
          : setTimeout(() => {
              this.pending.delete(id);
              reject(new ScorerUnavailable("timeout", `the ${this.options.name} did not answer ${op} within ${timeoutMs} ms`));
            }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (reply: unknown) => void, reject, timer });
      this.queued++;
      this.write(child, line);
    });
  }

  status(): WorkerStatus {
    return { ...this.current, pid: this.child?.pid ?? null };
  }

  /** Stops the child and fails the calls in flight; calls after this fail as `down`. */
  async close(): Promise<void> {
    if (this.current.state === "closed") return;
    this.current.state = "closed";
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const child = this.child;
    this.child = null;
    this.failPending(new ScorerUnavailable("down", `the ${this.options.name} is closed`));
    if (child) {
      child.kill();
      await child.exited;
    }
  }

  private spawn() {
    const { name, python, directory, entry, log } = this.options;
    let child: PipedSubprocess;
    try {
      child = Bun.spawn([python, "-u", join(directory, entry)], {
        env: workerEnvironment(),
        stdin: "pipe",
        stdout: "pipe",
        stderr: "pipe",
      });
    } catch (error) {
      this.becomeAbsent(`cannot run ${python}: ${reasonOf(error)}`);
      return;
    }
    // Like the job timers, a worker never keeps the process alive on its own; the server does.
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
      if (line.trim()) log.warn({ pid: child.pid, line }, `${name} stderr`);
    });
    void child.exited.then((code) => this.exited(child, code));

    // No timeout: this answer is what marks the child up, however long the interpreter takes to
    // start. Calls made meanwhile are queued in the pipe and answered if it starts in time.
    const startedAt = performance.now();
    this.call(this.options.readyOp, {}, null).then(
      (reply) => {
        if (this.child !== child) return;
        const fields = this.options.onReady?.(reply) ?? {};
        this.current.state = "up";
        this.restartDelayMs = FIRST_RESTART_DELAY_MS;
        log.info({ pid: child.pid, ...fields, startupMs: Math.round(performance.now() - startedAt) }, `${name} is up`);
      },
      // The child died first; `exited` has recorded why and scheduled the restart.
      () => {},
    );
  }

  private becomeAbsent(reason: string) {
    this.current.state = "absent";
    this.current.lastError = reason;
    this.options.log.error({ python: this.options.python }, `${this.options.name} unavailable, ${this.options.whenAbsent}: ${reason}`);
  }

  private exited(child: PipedSubprocess, code: number) {
    if (this.child !== child) return;
    this.child = null;
    const how = child.signalCode ? `was killed by ${child.signalCode}` : `exited with code ${code}`;
    this.current.lastError = `the ${this.options.name} ${how}`;
    this.current.state = "down";
    this.failPending(new ScorerUnavailable("down", this.current.lastError));
    const delayMs = this.restartDelayMs;
    this.restartDelayMs = Math.min(delayMs * 2, MAX_RESTART_DELAY_MS);
    this.options.log.warn({ pid: child.pid, restartInMs: delayMs }, `${this.current.lastError}; restarting it`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.current.restarts++;
      this.spawn();
    }, delayMs);
    this.restartTimer.unref?.();
  }

  /**
   * Watches, on a timer of its own, a child that lines wait on: new calls may all be refused as busy
   * by then, or stop coming. Not while the child starts: the interpreter's start-up may take longer
   * than any call is allowed to.
   */
  private watchForSilence(child: PipedSubprocess) {
    if (this.silenceWatch) return;
    const hungAfterMs = Math.max(HUNG_AFTER_TIMEOUTS * this.options.timeoutMs, HUNG_AFTER_MS);
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
        this.options.log.warn(
          { pid: child.pid, silentMs: Math.round(silentMs), waiting: this.queued },
          `the ${this.options.name} answers nothing; killing it to restart it`,
        );
        child.kill("SIGKILL");
      });
    arm(hungAfterMs);
  }

  private unavailable(): ScorerUnavailable {
    const { name } = this.options;
    const { state, lastError } = this.current;
    if (state === "stopped") return new ScorerUnavailable("down", `the ${name} is not started`);
    if (state === "absent") return new ScorerUnavailable("absent", lastError ?? `the ${name} cannot run`);
    if (state === "closed") return new ScorerUnavailable("down", `the ${name} is closed`);
    return new ScorerUnavailable("down", `${lastError ?? `the ${name} is down`}; restarting`);
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
      this.options.log.warn({ line: line.slice(0, 200) }, `the ${this.options.name} wrote a line that is not JSON`);
      return;
    }
    this.queued--;
    const call = typeof reply.id === "number" ? this.pending.get(reply.id) : undefined;
    // No call: it timed out already, or the worker could not read the request's id.
    if (!call) {
      if (typeof reply.error === "string") this.options.log.warn({ error: reply.error }, `${this.options.name} error without a waiting call`);
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
}

/**
 * Runs a one-shot script (the simulator, the evaluation) with PYTHON, on this process's stdout and
 * stderr; resolves to its exit code. A PYTHON that cannot be started is one clear error.
 */
export function runScript(python: string, argv: string[]): Promise<number> {
  try {
    return Bun.spawn([python, ...argv], { stdout: "inherit", stderr: "inherit", stdin: "ignore" }).exited;
  } catch (error) {
    throw new AppError("unavailable", "python_unavailable", `cannot run ${python} (PYTHON): ${reasonOf(error)}`);
  }
}
