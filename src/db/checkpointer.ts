import type { GroupCommit } from "./group-commit.ts";

/**
 * Moves WAL checkpoints off the thread that serves requests. A checkpoint copies the WAL into the
 * database file and ends in an fsync; run by the connection that commits (SQLite's automatic
 * checkpoint), it stalls every request behind it. A worker thread with its own connection
 * checkpoints PASSIVE instead, which never blocks writers or readers.
 *
 * A passive checkpoint alone never lets the WAL start over while writes go on: SQLite rewinds it
 * only when a write begins with every frame already copied, and commits keep landing while the
 * checkpoint runs. Under steady load the WAL then grows without end (gigabytes a minute at full
 * load). So once the WAL is long, a round copies the bulk while commits go on, then copies what
 * arrived meanwhile with the group commit held; the next commit rewinds the WAL (and trims the file
 * if it grew past journal_size_limit). The hold lasts one small checkpoint with its two fsyncs,
 * which every request in flight waits out, so it is kept short (see REWIND_HOLD_MS).
 */

/**
 * The worker thread's nice value. A checkpoint only has to keep up, never to be quick, and on a
 * small machine its CPU (~8 % of a core at full load) competes with the serving thread and the
 * scorer, which every request waits on. A nicer thread yields to them; raising its own nice value
 * needs no privilege, and on Linux it applies to the calling thread alone (elsewhere it would slow
 * the whole process, so it is left alone there). Measured at 3,000 req/s offered: p99 lower in 12
 * of 13 alternating runs, median 21.6 → 14.7 ms.
 */
export const CHECKPOINT_NICE = 10;

// The worker's source as text: a Blob worker needs no file of its own inside the executable.
const WORKER_SOURCE = `
import { Database } from "bun:sqlite";
import { setPriority } from "node:os";
if (process.platform === "linux") {
  try {
    setPriority(${CHECKPOINT_NICE});
  } catch {} // where it is refused, checkpoints run at the default priority: slower requests, nothing lost
}
let database = null;
self.onmessage = ({ data }) => {
  try {
    if (data.open) {
      database = new Database(data.open);
      database.run("PRAGMA busy_timeout = 5000");
    } else if (data.checkpoint !== undefined) {
      if (!database) throw new Error("the checkpoint connection is not open");
      const result = database.query("PRAGMA wal_checkpoint(PASSIVE)").get();
      postMessage({ done: data.checkpoint, result });
    } else if (data.close) {
      database?.close();
      database = null;
      postMessage({ closed: true });
    }
  } catch (error) {
    postMessage({ done: data.checkpoint, error: String(error && error.message || error) });
  }
};
`;

/**
 * WAL length (frames of a page each) past which a round rewinds it: 128 MB with 4 KB pages, which
 * takes seconds even at full load, so only a few requests in a thousand ever wait on a hold.
 */
export const REWIND_AFTER_FRAMES = 32_768;

/**
 * How long commits wait for the held pass of a rewind at the rewind length. Its two fsyncs mostly
 * take a few ms, but now and then tens (measured: 2–60 ms on the same small pass under load), and
 * each of those ms delays every request in flight. A pass that runs over lets the commits go: the
 * WAL does not start over this round, and the next round tries again, with more patience the
 * longer the WAL has grown (see `rewindPatience`).
 */
const REWIND_HOLD_MS = 8;
/** The longest the group commit is held for one catch-up pass (and a stop waits for the worker to close). */
const MAX_HOLD_MS = 1_000;

/**
 * Patience grows fourfold with each rewind length the WAL has grown past the first, so it reaches
 * MAX_HOLD_MS at about 4.5 lengths (576 MB): journal_size_limit (db/client.ts) is set above that,
 * because trimming a longer WAL file on the rewind stalls the next commit (42 ms for 200 MB).
 */
export function rewindPatience(log: number, rewindAfterFrames = REWIND_AFTER_FRAMES, rewindHoldMs = REWIND_HOLD_MS): number {
  // A hold asked for beyond the ceiling (a test on a slow disk) is honoured as it is.
  return Math.min(Math.max(MAX_HOLD_MS, rewindHoldMs), rewindHoldMs * 4 ** Math.max(0, log / rewindAfterFrames - 1));
}

/** A pass that takes longer than this is given up on (its round ends; the worker may still finish it). */
const PASS_TIMEOUT_MS = 30_000;

/** A pass this quick means the next one will be too (few frames, a responsive disk). */
const CALM_PASS_MS = 4;
const CALM_TRIES = 10;

/** What SQLite reports for a checkpoint: frames in the WAL and frames copied into the database. */
export interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

export interface Checkpointer {
  /** Runs one round now (tests); resolves as `checkpointRound` does. */
  round(): Promise<CheckpointResult | null>;
  /** The last round that completed a pass: when, and the WAL it left (the health page). */
  last(): { at: number; result: CheckpointResult } | null;
  stop(): Promise<void>;
}

export interface CheckpointerOptions {
  intervalMs: number;
  /** The queue every hot-path write commits through; held during each round's catch-up pass. */
  commits: GroupCommit;
  onError: (message: string) => void;
  /** WAL length in frames past which a round rewinds it (default REWIND_AFTER_FRAMES). */
  rewindAfterFrames?: number;
  /** How long commits wait for a rewind's held pass at the rewind length (default REWIND_HOLD_MS). */
  rewindHoldMs?: number;
}

/**
 * One round: a pass that copies the bulk, and when that leaves the WAL long, unheld passes until one
 * is quick, then one pass with the commits held so the next commit starts the WAL over. Resolves
 * with the last pass's result, or null when there was none (a failed pass, or a held pass that ran
 * over its hold).
 */
export async function checkpointRound(
  pass: () => Promise<CheckpointResult | null>,
  commits: Pick<GroupCommit, "hold">,
  { rewindAfterFrames = REWIND_AFTER_FRAMES, rewindHoldMs = REWIND_HOLD_MS }: Pick<CheckpointerOptions, "rewindAfterFrames" | "rewindHoldMs"> = {},
): Promise<CheckpointResult | null> {
  const bulk = await pass();
  if (!bulk || bulk.log < rewindAfterFrames) return bulk;
  // The held pass is quick only when little is left to copy and to sync and the disk answers fast,
  // which the pass before it tells.
  for (let tries = 0; tries < CALM_TRIES; tries++) {
    const started = performance.now();
    await pass();
    if (performance.now() - started < CALM_PASS_MS) break;
  }
  // Never longer than MAX_HOLD_MS: a worker that never answers must not stop every write.
  const patience = rewindPatience(bulk.log, rewindAfterFrames, rewindHoldMs);
  return commits.hold(() => Promise.race([pass(), Bun.sleep(patience).then(() => null)]));
}

/** Checkpoints `path` from a worker thread; the caller sets wal_autocheckpoint = 0. */
export function startCheckpointer(
  path: string,
  { intervalMs, commits, onError, rewindAfterFrames, rewindHoldMs }: CheckpointerOptions,
): Checkpointer {
  const worker = new Worker(URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" })));
  worker.postMessage({ open: path });
  const waiting = new Map<number, (result: CheckpointResult | null) => void>();
  let sequence = 0;
  let running: Promise<CheckpointResult | null> | null = null;
  let onClosed: (() => void) | null = null;
  worker.onerror = (event) => onError(event.message);
  worker.onmessage = ({ data }) => {
    if (data.closed) return onClosed?.();
    if (data.error) onError(data.error);
    waiting.get(data.done)?.(data.error ? null : data.result);
    waiting.delete(data.done);
  };
  // A pass that gets no answer (the worker died) ends as null, so no round, hold or stop waits forever.
  const pass = () =>
    new Promise<CheckpointResult | null>((resolve) => {
      const id = ++sequence;
      const timer = setTimeout(() => {
        waiting.delete(id);
        onError(`a checkpoint pass got no answer within ${PASS_TIMEOUT_MS / 1000} s`);
        resolve(null);
      }, PASS_TIMEOUT_MS);
      waiting.set(id, (result) => {
        clearTimeout(timer);
        resolve(result);
      });
      worker.postMessage({ checkpoint: id });
    });
  let last: { at: number; result: CheckpointResult } | null = null;
  const round = () => {
    // One round at a time: a slow disk must not queue them up.
    running ??= checkpointRound(pass, commits, { rewindAfterFrames, rewindHoldMs })
      .then((result) => {
        if (result) last = { at: Date.now(), result };
        return result;
      })
      .finally(() => {
        running = null;
      });
    return running;
  };
  const timer = setInterval(() => void round(), intervalMs);
  timer.unref();
  return {
    round,
    last: () => last,
    async stop() {
      clearInterval(timer);
      await running;
      await Promise.race([
        new Promise<void>((resolve) => {
          onClosed = resolve;
          worker.postMessage({ close: true });
        }),
        Bun.sleep(MAX_HOLD_MS),
      ]);
      worker.terminate();
    },
  };
}
