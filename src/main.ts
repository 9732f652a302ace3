/**
 * The entry of `oo`: the version, the help and the SQL runner's query process answer before the
 * rest of the app is loaded; every other command loads it (`commands.ts`).
 */
import { commands, fail, parseArgs, print, VERSION } from "./cli.ts";
import { AppError } from "./errors.ts";

async function main() {
  // The console's SQL runner runs each query in a process of its own, which needs no configuration.
  if (process.argv[2] === "sql-query") return (await import("./admin/sql.ts")).sqlQueryCommand();
  const args = parseArgs(process.argv.slice(2));
  if (args.kind === "version") return print(VERSION);
  if (args.kind === "help") return print((await import("./help.ts")).helpText().trimEnd());
  if (args.kind === "unknown") fail(`unknown command "${args.word}"; commands: ${Object.keys(commands).join(", ")} (see oo --help)`, 2);
  return (await import("./commands.ts")).runCommand(args.command, args.rest);
}

// A command that failed in the app's terms (its answer could not be written, PYTHON cannot run) has
// closed what it opened on the way out: one line on stderr, exit 1.
try {
  await main();
} catch (error) {
  if (error instanceof AppError) fail(error.message, 1);
  throw error;
}
