import { commands, VERSION } from "./cli.ts";
import { variables } from "./config.ts";

/** `oo --help`: the commands and every configuration variable with its default. */
export function helpText(): string {
  const width = Math.max(...Object.keys(variables).map((name) => name.length));
  const allCommands: [string, string][] = [...Object.entries(commands), ["--version", "print the version"], ["--help", "this text"]];
  const commandWidth = Math.max(...allCommands.map(([name]) => name.length));
  const commandLines = allCommands.map(([name, help]) => `  oo ${name.padEnd(commandWidth)}  ${help}`);
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
    "",
    "Configuration (environment variables):",
    ...variableLines,
    "",
  ].join("\n");
}
