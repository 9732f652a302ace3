import { join } from "node:path";
import opeSource from "../../ml/ope.py" with { type: "text" };
import type { Config } from "../config.ts";
import type { LoggedDecision } from "../recommender/queries.ts";
import { DAY_MS } from "../time.ts";
import { installScripts } from "./worker.ts";

/** A candidate's group for the direct model of DR: its kind of key (`task`, `advice`, `llm`). */
const groupOf = (key: string) => key.slice(0, key.indexOf(":"));

/** One decision as `ml/ope.py` reads it; null when the served or a shadow pick is not among the candidates (a log from before a change). */
export function opeLine(decision: LoggedDecision): string | null {
  const action = decision.candidates.indexOf(decision.servedKey);
  if (action < 0) return null;
  const targets: Record<string, number> = {};
  for (const [policy, key] of Object.entries(decision.shadows)) {
    const pick = decision.candidates.indexOf(key);
    if (pick >= 0) targets[policy] = pick;
  }
  return JSON.stringify({
    candidates: decision.candidates.length,
    groups: decision.candidates.map(groupOf),
    action,
    propensity: decision.propensity,
    reward: decision.reward,
    targets,
  });
}

/**
 * `oo ope [--days N]`: exports the decisions of the last N days (default 30) with their rewards
 * into DATA_DIR/ml/decisions.jsonl and runs `ml/ope.py` over it with PYTHON: IPS, SNIPS and DR of
 * random and of every shadow policy, with intervals and effective sample sizes, as one JSON object
 * on stdout. Resolves to its exit code (2 when the log cannot support an estimate, said on stdout).
 */
export async function runOffPolicyEvaluation(config: Config, decisionLog: (since: number) => LoggedDecision[], args: string[]): Promise<number> {
  const daysAt = args.indexOf("--days");
  const days = daysAt >= 0 ? Number(args[daysAt + 1]) : 30;
  if (!Number.isFinite(days) || days <= 0) {
    process.stdout.write(`${JSON.stringify({ error: "--days must be a positive number" })}\n`);
    return 2;
  }
  const directory = join(config.dataDir, "ml");
  installScripts(directory, { "ope.py": opeSource });
  const log = join(directory, "decisions.jsonl");
  const lines = decisionLog(Date.now() - days * DAY_MS).flatMap((decision) => opeLine(decision) ?? []);
  await Bun.write(log, lines.length > 0 ? `${lines.join("\n")}\n` : "");
  const rest = daysAt >= 0 ? [...args.slice(0, daysAt), ...args.slice(daysAt + 2)] : args;
  const child = Bun.spawn([config.ml.python, join(directory, "ope.py"), log, ...rest], { stdout: "inherit", stderr: "inherit", stdin: "ignore" });
  return child.exited;
}
