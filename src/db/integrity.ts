import { statSync } from "node:fs";

const QUICK_CHECK_SOURCE = `
import { Database } from "bun:sqlite";
self.onmessage = ({ data }) => {
  try {
    const database = new Database(data.path, { readonly: true });
    const rows = database.query("PRAGMA quick_check").all().map((row) => row.quick_check);
    database.close();
    postMessage({ rows });
  } catch (error) {
    postMessage({ error: String((error && error.message) || error) });
  }
};
`;

export interface IntegrityCheck {
  at: number;
  ok: boolean;
  /** "ok", or SQLite's first findings. */
  detail: string;
  ms: number;
}

/**
 * SQLite's `quick_check` of the database file, on a read-only connection in a thread of its own: it
 * reads every page, so it never runs on a request's thread.
 */
export function quickCheck(path: string, now = Date.now()): Promise<IntegrityCheck> {
  const started = performance.now();
  const worker = new Worker(URL.createObjectURL(new Blob([QUICK_CHECK_SOURCE], { type: "text/javascript" })));
  return new Promise<IntegrityCheck>((resolve) => {
    const done = (ok: boolean, detail: string) => {
      worker.terminate();
      resolve({ at: now, ok, detail, ms: Math.round(performance.now() - started) });
    };
    worker.onmessage = ({ data }) => (data.error ? done(false, data.error) : done(data.rows.length === 1 && data.rows[0] === "ok", data.rows.slice(0, 5).join("; ")));
    worker.onerror = (event) => done(false, event.message);
    worker.postMessage({ path });
  });
}

/** The database file's size and its WAL's, in bytes (0 for a file that is not there). */
export function fileSizes(path: string): { database: number; wal: number } {
  const size = (file: string) => {
    try {
      return statSync(file).size;
    } catch {
      return 0;
    }
  };
  return { database: size(path), wal: size(`${path}-wal`) };
}
