import pkg from "../package.json" with { type: "json" };
import { variables } from "./config.ts";

export const VERSION: string = pkg.version;

export const commands = {
  serve: "run the server (the default)",
  migrate: "apply database migrations and exit",
  "admin-link": "print a one-time owner sign-in link (valid 1 h; replaces earlier links)",
} as const;

export type Command = keyof typeof commands;

export type ParsedArgs = { kind: "help" } | { kind: "version" } | { kind: "command"; command: Command } | { kind: "unknown"; word: string };

export function parseArgs(argv: string[]): ParsedArgs {
  const word = argv[0];
  if (word === undefined) return { kind: "command", command: "serve" };
  if (word === "--help" || word === "-h" || word === "help") return { kind: "help" };
  if (word === "--version" || word === "-v" || word === "version") return { kind: "version" };
  if (word in commands) return { kind: "command", command: word as Command };
  return { kind: "unknown", word };
}

export function helpText(): string {
  const width = Math.max(...Object.keys(variables).map((name) => name.length));
  const commandLines = Object.entries(commands).map(([name, help]) => `  oo ${name.padEnd(10)} ${help}`);
  const variableLines = Object.entries(variables).map(([name, spec]) => {
    const fallback = "default" in spec && spec.default ? ` [${spec.default}]` : "";
    return `  ${name.padEnd(width)}  ${spec.help}${fallback}`;
  });
  return [
    `oO ${VERSION}: one tip, right now.`,
    "",
    "Usage: oo [command]",
    "",
    "Commands:",
    ...commandLines,
    "  oo --version  print the version",
    "  oo --help     this text",
    "",
    "Configuration (environment variables):",
    ...variableLines,
    "",
  ].join("\n");
}
