import pkg from "../package.json" with { type: "json" };
import { AppError, reasonOf } from "./errors.ts";

export const VERSION: string = pkg.version;

export const commands = {
  serve: "run the server (the default)",
  migrate: "apply database migrations and exit",
  "admin-link": "print a one-time owner sign-in link (valid 1 h; replaces earlier links)",
  backup: "write a consistent snapshot of the database to DATA_DIR/backups/oo-<UTC time>.db, keeping the newest backupsKept (a setting)",
  restore: "oo restore FILE: replace the database with a backup (the server stopped; the replaced file is kept)",
  "rotate-keys": "re-encrypt every stored provider token under ENCRYPTION_KEY (old keys in ENCRYPTION_KEYS_OLD)",
  ope: "off-policy evaluation of random and the shadow policies over the last --days N (30) of decisions, --features V for DR on V's vectors (JSON)",
  sim: "simulate people meeting the policies: --people N --days D --seed S --policies linucb,heuristic,random (or full-info, expected-feedback: ceilings) --features f1,f2 [--alpha A --epsilon E: the instance's unless given] [--prior-seed S2] (JSON lines)",
} as const;

export type Command = keyof typeof commands;

export type ParsedArgs =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "command"; command: Command; rest: string[] }
  | { kind: "unknown"; word: string };

export function parseArgs(argv: string[]): ParsedArgs {
  const word = argv[0];
  if (word === undefined) return { kind: "command", command: "serve", rest: [] };
  if (word === "--help" || word === "-h" || word === "help") return { kind: "help" };
  if (word === "--version" || word === "-v" || word === "version") return { kind: "version" };
  if (word in commands) return { kind: "command", command: word as Command, rest: argv.slice(1) };
  return { kind: "unknown", word };
}

/**
 * A command's answer on stdout, one line. A write that fails (a full disk, a closed pipe) throws,
 * so the command closes what it opened and `oo` exits 1 saying so. Not `process.stdout`, whose
 * first use costs about 20 ms that every short command (and the SQL runner's query process) would
 * pay; the console would be as quick but swallows a failed write.
 */
export async function print(line: string): Promise<void> {
  try {
    await Bun.write(Bun.stdout, `${line}\n`);
  } catch (error) {
    throw new AppError("unavailable", "stdout_failed", `could not write the answer to stdout: ${reasonOf(error)}`);
  }
}

/** Ends the process with a one-line message on stderr. */
export function fail(message: string, code: number): never {
  console.error(`oo: ${message}`);
  process.exit(code);
}
