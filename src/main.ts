/**
 * The entry of `oo`: the version, the help and the SQL runner's query process answer before the
 * rest of the app is loaded; every other command loads it (`commands.ts`).
 */
import { commands, fail, parseArgs, print, VERSION } from "./cli.ts";

async function main() {
  // The console's SQL runner runs each query in a process of its own, which needs no configuration.
  if (process.argv[2] === "sql-query") return (await import("./admin/sql.ts")).sqlQueryCommand();
  const args = parseArgs(process.argv.slice(2));
  if (args.kind === "version") return print(VERSION);
  if (args.kind === "help") return print((await import("./help.ts")).helpText().trimEnd());
  if (args.kind === "unknown") fail(`unknown command "${args.word}"; commands: ${Object.keys(commands).join(", ")} (see oo --help)`, 2);
  return (await import("./commands.ts")).runCommand(args.command, args.rest);
}

await main();
