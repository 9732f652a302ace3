import type { Database } from "bun:sqlite";

interface PendingWrite {
  write: () => void;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Commits the writes queued during one turn of the event loop in a single transaction. Each WAL
 * commit rewrites every page it touched (table and index leaves), so under load a commit per
 * request costs more than the request's own work; writes that share a commit share those pages.
 * `write` resolves once its data is committed, so callers still answer only after their write
 * is in the database.
 */
export class GroupCommit {
  private pending: PendingWrite[] = [];

  constructor(private readonly sqlite: Database) {}

  write(write: () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ write, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush() {
    const batch = this.pending;
    this.pending = [];
    try {
      this.sqlite.transaction(() => {
        for (const { write } of batch) write();
      })();
      for (const { resolve } of batch) resolve();
    } catch {
      // One failing write must not take the others down: replay each in its own transaction.
      for (const { write, resolve, reject } of batch) {
        try {
          this.sqlite.transaction(write)();
          resolve();
        } catch (error) {
          reject(error);
        }
      }
    }
  }
}
