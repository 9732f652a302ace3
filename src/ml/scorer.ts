import linucbSource from "../../ml/linucb.py" with { type: "text" };
import scorerSource from "../../ml/scorer.py" with { type: "text" };
import { join } from "node:path";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import { HttpScorer } from "./http-client.ts";
import {
  type CallOptions,
  HeldStates,
  packScoreRequest,
  type ScorerHealth,
  type ScoreRequest,
  type ScoreResult,
  ScorerUnavailable,
  type MigrateRequest,
  type UpdateRequest,
  type UpdateResult,
  UNKNOWN_STATE_REF,
  unpackScoreResult,
} from "./protocol.ts";
import { PythonWorker, type WorkerState } from "./worker.ts";

/**
 * The client of the stateless Python scorer (`ml/scorer.py`, where the protocol is documented).
 * By default it runs the scripts embedded in the executable as one long-lived child process (see
 * `PythonWorker`); with `ML_SERVING_URL` the same calls go over HTTP. Every failure is a
 * `ScorerUnavailable` naming why, so callers can fall back to their heuristic and record the reason.
 */

/** `stopped` until `start`. */
export type ScorerState = WorkerState;

export interface ScorerStatus {
  mode: "child" | "http";
  state: ScorerState;
  restarts: number;
  lastError: string | null;
  /** The child's pid while one runs (child mode). */
  pid: number | null;
  /** From the last health answer. */
  version: string | null;
  numpy: boolean | null;
}

export interface Scorer {
  /** Spawns the child (child mode) or makes the first health call (HTTP mode); calls before this fail as `down`. */
  start(): void;
  score(request: ScoreRequest, options?: CallOptions): Promise<ScoreResult>;
  update(request: UpdateRequest, options?: CallOptions): Promise<UpdateResult>;
  /** The same update taken back out (an undone reaction): the model as if it had never had it. */
  revert(request: UpdateRequest, options?: CallOptions): Promise<UpdateResult>;
  /** The model carried over to another feature version: what both versions name is kept. */
  migrate(request: MigrateRequest, options?: CallOptions): Promise<UpdateResult>;
  health(options?: CallOptions): Promise<ScorerHealth>;
  status(): ScorerStatus;
  /** Stops the child (or stops calling the remote); calls after this fail as `down`. */
  close(): Promise<void>;
}

/** The scripts the child runs, written side by side into DATA_DIR/ml/; the module before the script importing it. */
const SCORER_SCRIPTS = { "linucb.py": linucbSource, "scorer.py": scorerSource };

/** Builds the scorer; nothing is spawned or called until `start`. */
export function createScorer({ config, log }: { config: Config; log: Logger }): Scorer {
  return config.ml.servingUrl ? new HttpScorer(config, log) : new ChildScorer(config, log);
}

class ChildScorer implements Scorer {
  private readonly worker: PythonWorker;
  /** The models the child was sent and keeps; over HTTP every call carries its model, as replicas share nothing. */
  private readonly held = new HeldStates();
  private version: string | null = null;
  private numpy: boolean | null = null;

  constructor(config: Config, log: Logger) {
    this.worker = new PythonWorker({
      name: "scorer",
      python: config.ml.python,
      directory: join(config.dataDir, "ml"),
      scripts: SCORER_SCRIPTS,
      entry: "scorer.py",
      timeoutMs: config.ml.timeoutMs,
      readyOp: "health",
      onReady: (reply) => {
        const { version, numpy } = this.noteHealth(reply as ScorerHealth);
        return { version, numpy };
      },
      whenAbsent: "recommendations use the heuristic",
      log,
    });
  }

  start(): void {
    this.worker.start();
  }

  async score(request: ScoreRequest): Promise<ScoreResult> {
    try {
      return unpackScoreResult(await this.worker.call("score", packScoreRequest(request, this.held)));
    } catch (error) {
      if (!(error instanceof ScorerUnavailable && error.reason === "error" && error.message.startsWith(UNKNOWN_STATE_REF))) throw error;
      // The child no longer holds the model (it restarted, or let it go): once more, in full.
      this.held.forget();
      return unpackScoreResult(await this.worker.call("score", packScoreRequest(request, this.held)));
    }
  }

  update(request: UpdateRequest): Promise<UpdateResult> {
    return this.worker.call("update", request);
  }

  revert(request: UpdateRequest): Promise<UpdateResult> {
    return this.worker.call("revert", request);
  }

  migrate(request: MigrateRequest): Promise<UpdateResult> {
    return this.worker.call("migrate", request);
  }

  async health(): Promise<ScorerHealth> {
    return this.noteHealth(await this.worker.call<ScorerHealth>("health", {}));
  }

  status(): ScorerStatus {
    return { mode: "child", ...this.worker.status(), version: this.version, numpy: this.numpy };
  }

  close(): Promise<void> {
    return this.worker.close();
  }

  private noteHealth(health: ScorerHealth): ScorerHealth {
    this.version = health.version;
    this.numpy = health.numpy;
    return health;
  }
}
