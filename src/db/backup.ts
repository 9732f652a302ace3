import { Database } from "bun:sqlite";
import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { randomBytes } from "../crypto.ts";
import { reasonOf } from "../errors.ts";
import { MINUTE_MS } from "../time.ts";
import { embeddedMigrations } from "./migrations.gen.ts";

/** Backups are named by their UTC time, so the newest sorts last: `oo-20261205T143000Z.db`. */
export const BACKUP_NAME = /^oo-\d{8}T\d{6}Z\.db$/;

export interface BackupFile {
  name: string;
  bytes: number;
  at: number;
}

export const backupsDir = (dataDir: string) => join(dataDir, "backups");

/** When a backup was taken, from its name. */
const timeOf = (name: string) => Date.parse(name.replace(/^oo-(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z\.db$/, "$1-$2-$3T$4:$5:$6Z"));

const nameAt = (now: number) => `oo-${new Date(now).toISOString().slice(0, 19).replaceAll("-", "").replaceAll(":", "")}Z.db`;

// The copying thread's source as text: a Blob worker needs no file of its own inside the executable.
const COPY_WORKER_SOURCE = `
import { Database } from "bun:sqlite";
self.onmessage = ({ data }) => {
  let database = null;
  try {
    // Read-only: a wrong path fails rather than making an empty database to copy.
    database = new Database(data.database, { readonly: true });
    database.run("PRAGMA busy_timeout = 5000");
    database.run("VACUUM INTO ?", [data.into]);
    postMessage({ ok: true });
  } catch (error) {
    postMessage({ error: String((error && error.message) || error) });
  } finally {
    database?.close();
  }
};
`;

/** `VACUUM INTO` on a connection of its own, in a worker thread: a copy of a large database takes seconds, and the thread that serves must not wait them out. */
function copyDatabase(databasePath: string, into: string): Promise<void> {
  // Another connection to an in-memory database would be a new, empty one.
  if (databasePath === "" || databasePath === ":memory:") return Promise.reject(new Error("an in-memory database has no file to back up"));
  const source = URL.createObjectURL(new Blob([COPY_WORKER_SOURCE], { type: "text/javascript" }));
  const worker = new Worker(source);
  return new Promise<void>((resolve, reject) => {
    worker.onmessage = ({ data }) => (data.error ? reject(new Error(data.error)) : resolve());
    worker.onerror = (event) => reject(new Error(event.message));
    // A worker that ends without a word must not leave the backup (and every one after it) waiting.
    worker.addEventListener("close", () => reject(new Error("the copying thread ended without finishing")));
    worker.postMessage({ database: databasePath, into });
  }).finally(() => {
    worker.terminate();
    URL.revokeObjectURL(source);
  });
}

/**
 * A consistent snapshot of the live database into `DATA_DIR/backups/oo-<UTC time>.db`, by SQLite's
 * `VACUUM INTO` (a read transaction on its own connection and thread: requests and writers carry
 * on; the copy is compact and needs no WAL). Written under a temporary name first, so a failed or
 * interrupted backup never looks like a good one. One at a time per process (see `Backups`).
 */
export async function backUp(databasePath: string, dataDir: string, now = Date.now()): Promise<BackupFile> {
  const dir = backupsDir(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Names order backups, and pruning keeps the newest by name: a new one is named after every one
  // kept (two within one second take the next second), or it could be pruned at once.
  // The copy's temporary name is this process's own: `oo backup` may run beside the server's backup.
  const partial = join(dir, `oo-${process.pid}-${randomBytes(4).toString("hex")}.partial`);
  try {
    await copyDatabase(databasePath, partial);
    // A stray name far in the future (a clock that was ahead) is not followed: backups keep real times.
    const newest = listBackups(dataDir)[0];
    if (newest && newest.at >= now && newest.at - now < MINUTE_MS) now = newest.at + 1000;
    for (;;) {
      const target = join(dir, nameAt(now));
      if (claim(partial, target)) break;
      now += 1000;
    }
  } finally {
    rmSync(partial, { force: true });
  }
  const name = nameAt(now);
  return { name, bytes: statSync(join(dir, name)).size, at: now };
}

/**
 * Puts the finished copy at `target` unless a backup is there already (false). A hard link claims the
 * name atomically, so two processes never write one over the other; a filesystem without hard links
 * (vfat, some network mounts) gets a rename after a check.
 */
function claim(partial: string, target: string): boolean {
  try {
    linkSync(partial, target);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return false;
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP") throw error;
    if (existsSync(target)) return false;
    renameSync(partial, target);
    return true;
  }
}

/** The backups kept, newest first. */
export function listBackups(dataDir: string): BackupFile[] {
  const dir = backupsDir(dataDir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  return readdirSync(dir)
    .filter((name) => BACKUP_NAME.test(name))
    .sort()
    .reverse()
    .map((name) => ({ name, at: timeOf(name) }))
    // A name of the shape but no real time (a stray file) is no backup of ours.
    .filter((backup) => Number.isFinite(backup.at))
    .flatMap(({ name, at }) => {
      try {
        return [{ name, bytes: statSync(join(dir, name)).size, at }];
      } catch {
        return []; // pruned by another process between the listing and now
      }
    });
}

/** Keeps the newest `keep` backups; returns the names removed. */
export function pruneBackups(dataDir: string, keep: number): string[] {
  const removed = listBackups(dataDir).slice(keep).map((backup) => backup.name);
  for (const name of removed) rmSync(join(backupsDir(dataDir), name), { force: true });
  return removed;
}

/** The path of a backup by name, or null for a name that is not one (nothing outside the folder is ever named). */
export function backupPath(dataDir: string, name: string): string | null {
  if (!BACKUP_NAME.test(name)) return null;
  const path = join(backupsDir(dataDir), name);
  return existsSync(path) ? path : null;
}

// ─── The server's claim on its database, and restoring ─────────────────────

/**
 * Beside the database: the lock a server holds for as long as it runs, an exclusive SQLite lock
 * (an OS file lock), so it ends with the process however it ends, and it holds across containers
 * that share the volume, where pids say nothing. The file stays; the lock is what counts.
 */
export const serverLockOf = (databasePath: string) => `${databasePath}.lock`;

/** The exclusive lock on `path`, held until the returned database is closed; null while another process holds it. */
function holdLock(path: string): Database | null {
  const lock = new Database(path, { create: true });
  try {
    lock.run("PRAGMA locking_mode = EXCLUSIVE");
    lock.run("BEGIN EXCLUSIVE");
    return lock;
  } catch (error) {
    lock.close();
    if (error instanceof Error && "code" in error && error.code === "SQLITE_BUSY") return null;
    throw error;
  }
}

export class DatabaseInUse extends Error {}

/**
 * Takes the server's lock on its database; returns the function that lets it go. Refuses
 * (DatabaseInUse) while another server holds it: two servers on one file would each keep their
 * own caches, and a restore would swap the file under one of them.
 */
export function claimDatabase(databasePath: string): () => void {
  mkdirSync(dirname(databasePath), { recursive: true });
  const lock = holdLock(serverLockOf(databasePath));
  if (!lock) throw new DatabaseInUse(`another oO server is serving ${databasePath}: stop it first`);
  // What builds before this one left while serving: a plain file with their pid.
  rmSync(`${databasePath}.server`, { force: true });
  return () => lock.close();
}

export class RestoreRefused extends Error {}

/** Whether two paths name one file: by any path, a symbolic link or a hard link. */
function sameFile(first: string, second: string): boolean {
  const [a, b] = [statSync(first), statSync(second)];
  return a.dev === b.dev && a.ino === b.ino;
}

/**
 * Replaces the database with a backup: refused while a server runs on it, for a file that is not a
 * whole oO database (`integrity_check`), and for one migrated past this build. The replaced database
 * is kept beside it as `<name>.replaced-<UTC time>`; a backup from an older build is migrated when
 * the server next opens it.
 */
export function restore(databasePath: string, file: string, now = Date.now()): { replacedBy: string; kept: string | null; migrations: number } {
  // Held until the file is in place: no server starts on it halfway.
  let release: () => void;
  try {
    release = claimDatabase(databasePath);
  } catch (error) {
    if (error instanceof DatabaseInUse) throw new RestoreRefused(`a server is running on ${databasePath}: stop it first`);
    throw error;
  }
  try {
    return restoreHeld(databasePath, file, now);
  } finally {
    release();
  }
}

function restoreHeld(databasePath: string, file: string, now: number): { replacedBy: string; kept: string | null; migrations: number } {
  if (!existsSync(file)) throw new RestoreRefused(`${file} does not exist`);
  if (existsSync(databasePath) && sameFile(file, databasePath)) throw new RestoreRefused(`${file} is the database itself: name a backup to restore`);
  let applied: string[];
  let candidate: Database | null = null;
  try {
    candidate = new Database(file, { readonly: true });
    const check = candidate.query<{ integrity_check: string }, []>("PRAGMA integrity_check").all();
    if (check.length !== 1 || check[0]!.integrity_check !== "ok") throw new RestoreRefused(`${file} fails its integrity check: ${check.map((row) => row.integrity_check).slice(0, 3).join("; ")}`);
    const known = candidate.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
    if (!known) throw new RestoreRefused(`${file} is not an oO database (it has no schema_migrations)`);
    applied = candidate.query<{ tag: string }, []>("SELECT tag FROM schema_migrations ORDER BY tag").all().map((row) => row.tag);
  } catch (error) {
    if (error instanceof RestoreRefused) throw error;
    throw new RestoreRefused(`${file} is not a readable SQLite database: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    candidate?.close();
  }
  const ours = new Set(embeddedMigrations.map((migration) => migration.tag));
  const newer = applied.filter((tag) => !ours.has(tag));
  if (newer.length > 0) throw new RestoreRefused(`${file} was migrated by a newer oO (${newer.join(", ")}): restore it with that version`);

  let kept: string | null = null;
  if (existsSync(databasePath)) {
    // Fold the WAL in first, so the kept file is whole on its own.
    const current = new Database(databasePath);
    current.run("PRAGMA wal_checkpoint(TRUNCATE)");
    current.close();
    const keptAt = (at: number) => join(dirname(databasePath), `${basename(databasePath)}.replaced-${nameAt(at).slice(3, -3)}`);
    // A second restore within the second must not overwrite the first one's kept file.
    for (let at = now; ; at += 1000) {
      kept = keptAt(at);
      if (!existsSync(kept)) break;
    }
    renameSync(databasePath, kept);
  }
  for (const suffix of ["-wal", "-shm"]) rmSync(`${databasePath}${suffix}`, { force: true });
  try {
    copyFileSync(file, databasePath);
  } catch (error) {
    // A failed copy (a full disk) must not leave no database: the replaced one goes back.
    rmSync(databasePath, { force: true });
    if (kept) renameSync(kept, databasePath);
    throw new Error(`${reasonOf(error)}; the database is as it was`);
  }
  return { replacedBy: file, kept, migrations: embeddedMigrations.length - applied.length };
}
