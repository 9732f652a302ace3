import type { Database } from "bun:sqlite";

interface PendingWrite {
  write: () => unknown;
  resolve: (result: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Commits the writes queued during one turn of the event loop in a single transaction. Each WAL
 * commit rewrites every page it touched (table and index leaves), so under load a commit per
 * request costs more than the request's own work; writes that share a commit share those pages.
 * `write` resolves with the write's result once it is committed, so callers answer (and announce
 * what they wrote) only after it is in the database. A write may run twice: if its batch fails,
 * each write is replayed alone, so it must only touch the database.
 */
export class GroupCommit {
  private pending: PendingWrite[] = [];
  private flushScheduled = false;
  private held = false;

  constructor(private readonly sqlite: Database) {}

  write<T>(write: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ write, resolve: resolve as (result: unknown) => void, reject });
      this.scheduleFlush();
    });
  }

  /**
   * Runs `during` with no commit of this queue in between: writes queue up meanwhile and commit
   * together once it settles. The WAL checkpointer uses it to catch up with every frame.
   */
  async hold<T>(during: () => Promise<T>): Promise<T> {
    this.held = true;
    try {
      return await during();
    } finally {
      this.held = false;
      this.scheduleFlush();
    }
  }

  private scheduleFlush() {
    if (this.flushScheduled || this.held || this.pending.length === 0) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      if (!this.held) this.flush();
    });
  }

  private flush() {
    const batch = this.pending;
    this.pending = [];
    let results: unknown[];
    try {
      results = this.sqlite.transaction(() => batch.map(({ write }) => write()))();
    } catch {
      // One failing write must not take the others down: replay each in its own transaction.
      for (const { write, resolve, reject } of batch) {
        try {
          resolve(this.sqlite.transaction(write)());
        } catch (error) {
          reject(error);
        }
      }
      return;
    }
    batch.forEach(({ resolve }, index) => resolve(results[index]));
  }
}
