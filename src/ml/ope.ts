import { join } from "node:path";
import { parseArgs } from "node:util";
import linucbSource from "../../ml/linucb.py" with { type: "text" };
import opeSource from "../../ml/ope.py" with { type: "text" };
import { print } from "../cli.ts";
import type { Config } from "../config.ts";
import { reasonOf } from "../errors.ts";
import { FEATURE_VERSIONS, type FeatureVersion } from "../recommender/features.ts";
import type { LoggedDecision } from "../recommender/queries.ts";
import { DAY_MS } from "../time.ts";
import { installScripts, runScript } from "./worker.ts";

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
    ...(decision.vectors ? { xs: decision.vectors } : {}),
    action,
    propensity: decision.propensity,
    reward: decision.reward,
    targets,
  });
}

/**
 * `oo ope [--days N] [--features VERSION]`: exports the decisions of the last N days (default 30)
 * with their rewards into DATA_DIR/ml/decisions.jsonl and runs `ml/ope.py` over it with PYTHON:
 * IPS, SNIPS and DR of random and of every shadow policy, with intervals and effective sample
 * sizes, as one JSON object on stdout. With --features, every candidate's vector in that version is
 * rebuilt from the log and DR's direct model regresses the reward on them (any version, also one
 * newer than the log). Resolves to its exit code (2 when the log cannot support an estimate, said on stdout).
 */
export async function runOffPolicyEvaluation(
  config: Config,
  decisionLog: (since: number, version?: FeatureVersion) => LoggedDecision[],
  args: string[],
): Promise<number> {
  const refuse = async (error: string) => {
    await print(JSON.stringify({ error }));
    return 2;
  };
  let options: { days?: string; features?: string };
  try {
    options = parseArgs({ args, options: { days: { type: "string" }, features: { type: "string" } }, strict: true, allowPositionals: false }).values;
  } catch (error) {
    return refuse(`${reasonOf(error)}; oo ope takes [--days N] [--features VERSION]`);
  }
  const days = options.days === undefined ? 30 : Number(options.days);
  if (!Number.isFinite(days) || days <= 0) return refuse("--days must be a positive number");
  const version = options.features;
  if (version !== undefined && !(FEATURE_VERSIONS as string[]).includes(version)) {
    return refuse(`--features must be one of ${FEATURE_VERSIONS.join(", ")}`);
  }
  const directory = join(config.dataDir, "ml");
  installScripts(directory, { "ope.py": opeSource, "linucb.py": linucbSource });
  const log = join(directory, "decisions.jsonl");
  const lines = decisionLog(Date.now() - days * DAY_MS, version as FeatureVersion | undefined).flatMap((decision) => opeLine(decision) ?? []);
  await Bun.write(log, lines.length > 0 ? `${lines.join("\n")}\n` : "");
  return runScript(config.ml.python, [join(directory, "ope.py"), log]);
}
