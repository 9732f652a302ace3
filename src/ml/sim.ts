import { join } from "node:path";
import featuresSpec from "../../ml/features.json" with { type: "json" };
import featuresSource from "../../ml/features.py" with { type: "text" };
import linucbSource from "../../ml/linucb.py" with { type: "text" };
import simSource from "../../ml/sim.py" with { type: "text" };
import type { Config } from "../config.ts";
import { installScripts, runScript } from "./worker.ts";

/** What the simulator runs: the scorer's LinUCB module and the feature spec serving uses, written side by side. */
const SIM_SCRIPTS = { "features.json": `${JSON.stringify(featuresSpec, null, 2)}\n`, "features.py": featuresSource, "linucb.py": linucbSource, "sim.py": simSource };

/** One advice of the library, as the simulator reads it. */
export interface SimAdvice {
  id: string;
  category: string;
  time_of_day: string;
  day_kind: string;
  priority: number;
}

/**
 * `oo sim [--people N] [--days D] [--seed S] [--policies …] [--features …]`: writes the simulator
 * and this instance's advice library into DATA_DIR/ml and runs it with PYTHON; its JSON lines go
 * to stdout as they come (the last one the summary). Resolves to its exit code.
 */
export async function runSimulator(config: Config, advice: SimAdvice[], args: string[]): Promise<number> {
  const directory = join(config.dataDir, "ml");
  installScripts(directory, SIM_SCRIPTS);
  const library = join(directory, "advice.json");
  await Bun.write(library, JSON.stringify(advice));
  return runScript(config.ml.python, [join(directory, "sim.py"), ...args, "--advice", library]);
}
