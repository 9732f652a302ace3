import { Database } from "bun:sqlite";
import { join } from "node:path";
import { print } from "../cli.ts";
import { AppError } from "../errors.ts";

/** What one query may take: rows returned, time (enforced by killing its process), and bytes of answer. */
export const SQL_LIMITS = { rows: 1000, ms: 1000, bytes: 16 * 1024 * 1024 } as const;
const ALLOWED_FIRST_WORDS = new Set(["SELECT", "WITH", "EXPLAIN"]);

export interface SqlResult {
  columns: string[];
  rows: unknown[][];
  /** More rows than `SQL_LIMITS.rows` matched: only the first ones are here. */
  truncated: boolean;
  ms: number;
}

/**
 * Reads a statement the way SQLite's tokenizer does, enough to tell its first word and whether
 * anything but spaces and comments follows its first top-level semicolon: strings ('…'), quoted
 * names ("…", […], `…`) and comments (-- and /* *\/) are skipped whole.
 */
function outline(sql: string): { firstWord: string; trailing: boolean } {
  let firstWord = "";
  let index = 0;
  let ended = false;
  while (index < sql.length) {
    const char = sql[index]!;
    const next = sql[index + 1];
    if (char === "-" && next === "-") {
      const end = sql.indexOf("\n", index);
      index = end < 0 ? sql.length : end + 1;
      continue;
    }
    if (char === "/" && next === "*") {
      const end = sql.indexOf("*/", index + 2);
      index = end < 0 ? sql.length : end + 2;
      continue;
    }
    if (/\s/.test(char)) {
      index++;
      continue;
    }
    if (ended) return { firstWord, trailing: true };
    if (char === ";") {
      ended = true;
      index++;
      continue;
    }
    const closer = char === "'" ? "'" : char === '"' ? '"' : char === "`" ? "`" : char === "[" ? "]" : null;
    if (closer) {
      let end = index + 1;
      // A doubled quote inside a string or name is the quote itself.
      while (end < sql.length && !(sql[end] === closer && sql[end + 1] !== closer)) end += sql[end] === closer ? 2 : 1;
      index = end + 1;
      continue;
    }
    const word = /^[A-Za-z_]+/.exec(sql.slice(index, index + 64))?.[0];
    if (word) {
      if (!firstWord) firstWord = word.toUpperCase();
      index += word.length;
      continue;
    }
    index++;
  }
  return { firstWord, trailing: false };
}

/** Refuses what the runner never runs, with the reason: nothing, several statements, or anything but a read. */
export function checkQuery(sql: string): void {
  const { firstWord, trailing } = outline(sql);
  if (!firstWord) throw new AppError("invalid", "invalid_sql", "Write a query: SELECT, WITH or EXPLAIN.");
  if (trailing) throw new AppError("invalid", "invalid_sql", "One statement at a time: remove what follows the first semicolon.");
  if (!ALLOWED_FIRST_WORDS.has(firstWord)) {
    throw new AppError("invalid", "invalid_sql", `Only reads run here (SELECT, WITH or EXPLAIN), not ${firstWord}.`);
  }
}

/** A value as JSON can carry it: blobs as base64 (marked), integers past 2^53 as text (exact). */
function portable(value: unknown): unknown {
  if (value instanceof Uint8Array) return `base64:${Buffer.from(value).toString("base64")}`;
  if (typeof value === "bigint") return value >= Number.MIN_SAFE_INTEGER && value <= Number.MAX_SAFE_INTEGER ? Number(value) : value.toString();
  return value;
}

/**
 * Runs one query on a connection of its own that cannot write (`readonly`, `PRAGMA query_only`),
 * keeping the first `maxRows` rows. What `oo sql-query` does in its own process.
 */
export function runHere(databasePath: string, sql: string, maxRows: number = SQL_LIMITS.rows): SqlResult {
  checkQuery(sql);
  const started = performance.now();
  // Integers come back whole (as bigint), so none past 2^53 is rounded on the way.
  const db = new Database(databasePath, { readonly: true, safeIntegers: true });
  try {
    db.run("PRAGMA query_only = ON");
    const statement = db.query(sql);
    // Rows come back as objects keyed by column name: two columns of one name would collide.
    const twice = statement.columnNames.find((name, index) => statement.columnNames.indexOf(name) !== index);
    if (twice !== undefined) throw new Error(`Two columns are named ${twice}: name them apart (AS …).`);
    const rows: unknown[][] = [];
    let truncated = false;
    for (const row of statement.iterate() as IterableIterator<Record<string, unknown>>) {
      if (rows.length === maxRows) {
        truncated = true;
        break;
      }
      rows.push(Object.values(row).map(portable));
    }
    return { columns: statement.columnNames, rows, truncated, ms: Math.round(performance.now() - started) };
  } finally {
    db.close();
  }
}

/** `oo sql-query`: the compiled `oo` runs itself; from source, bun runs src/main.ts (which loads little more for it). */
function sqlQueryProcess(): string[] {
  return import.meta.path.startsWith("/$bunfs/") ? [process.execPath, "sql-query"] : [process.execPath, join(import.meta.dir, "..", "main.ts"), "sql-query"];
}

/**
 * Runs one query in a process of its own (`oo sql-query`), killed when it takes more than
 * `SQL_LIMITS.ms`: SQLite cannot be stopped from another thread here, and a runaway query would
 * otherwise keep a core busy forever. The server answers meanwhile.
 */
export async function runReadOnly(databasePath: string, sql: string): Promise<SqlResult> {
  checkQuery(sql);
  if (databasePath === ":memory:") throw new AppError("unavailable", "sql_unavailable", "The SQL runner needs the database in a file.");
  const child = Bun.spawn(sqlQueryProcess(), {
    stdin: new TextEncoder().encode(JSON.stringify({ databasePath, sql })),
    stdout: "pipe",
    stderr: "pipe",
    timeout: SQL_LIMITS.ms,
    killSignal: "SIGKILL",
    env: { PATH: process.env.PATH ?? "" },
  });
  const [stdout, code] = await Promise.all([new Response(child.stdout).text(), child.exited]);
  if (child.signalCode === "SIGKILL") throw new AppError("invalid", "sql_timeout", `Stopped after ${SQL_LIMITS.ms / 1000} s: the query ran too long. Narrow it (a WHERE, a LIMIT).`);
  let answer: (SqlResult & { error?: undefined }) | { error: string };
  try {
    answer = JSON.parse(stdout);
  } catch {
    throw new AppError("unavailable", "sql_failed", `The query's process ended without an answer (exit ${code}).`);
  }
  if (answer.error !== undefined) throw new AppError("invalid", "sql_error", answer.error);
  return answer;
}

/** `oo sql-query`: reads `{ databasePath, sql }` on stdin, writes the result (or `{ error }`) as JSON on stdout. */
export async function sqlQueryCommand(): Promise<void> {
  const { databasePath, sql } = (await Bun.stdin.json()) as { databasePath: string; sql: string };
  let answer: SqlResult | { error: string };
  try {
    answer = runHere(databasePath, sql);
  } catch (error) {
    answer = { error: error instanceof Error ? error.message : String(error) };
  }
  const text = JSON.stringify(answer);
  await print(text.length > SQL_LIMITS.bytes ? JSON.stringify({ error: "The answer is larger than 16 MB: select fewer or smaller columns." }) : text);
}
