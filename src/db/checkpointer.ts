/**
 * Moves WAL checkpoints off the thread that serves requests. A checkpoint copies the WAL into the
 * database file and ends in an fsync; run by the connection that commits (SQLite's automatic
 * checkpoint), it stalls every request behind it for tens of milliseconds. A worker thread with
 * its own connection checkpoints PASSIVE instead: it never blocks writers or readers, and the WAL
 * restarts from its beginning once a checkpoint has caught up.
 */

// The worker's source as text: a Blob worker needs no file of its own inside the executable.
const WORKER_SOURCE = `
import { Database } from "bun:sqlite";
let database = null;
self.onmessage = ({ data }) => {
  try {
    if (data.open) {
      database = new Database(data.open);
      database.run("PRAGMA busy_timeout = 5000");
    } else if (data.checkpoint && database) {
      database.query("PRAGMA wal_checkpoint(PASSIVE)").get();
      postMessage({ done: data.checkpoint });
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

export interface Checkpointer {
  stop(): Promise<void>;
}

/** Checkpoints `path` every `intervalMs` from a worker thread; the caller sets wal_autocheckpoint = 0. */
export function startCheckpointer(path: string, intervalMs: number, onError: (message: string) => void): Checkpointer {
  const worker = new Worker(URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" })));
  worker.postMessage({ open: path });
  let busy = false;
  let round = 0;
  worker.onmessage = ({ data }) => {
    if (data.done !== undefined) busy = false;
    if (data.error) onError(data.error);
  };
  const timer = setInterval(() => {
    // One checkpoint at a time: a slow disk must not queue them up.
    if (busy) return;
    busy = true;
    worker.postMessage({ checkpoint: ++round });
  }, intervalMs);
  timer.unref();
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        clearInterval(timer);
        worker.onmessage = ({ data }) => {
          if (!data.closed) return;
          worker.terminate();
          resolve();
        };
        worker.postMessage({ close: true });
      }),
  };
}
