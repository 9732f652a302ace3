import type { Config } from "../config.ts";
import { reasonOf } from "../errors.ts";
import type { Logger } from "../log.ts";
import {
  type CallOptions,
  packScoreRequest,
  type Reply,
  type ScorerFailure,
  type ScorerHealth,
  ScorerUnavailable,
  type ScoreRequest,
  type ScoreResult,
  type MigrateRequest,
  type UpdateRequest,
  type UpdateResult,
  unpackScoreResult,
} from "./protocol.ts";
import type { Scorer, ScorerStatus } from "./scorer.ts";

/**
 * The scorer at ML_SERVING_URL (`scorer.py --http`, or anything serving the same routes): POST
 * /score, /update, /revert and /migrate, GET /health, each within ML_TIMEOUT_MS. A 400 with an error is the scorer
 * refusing the request; anything else that is not a 200 means it is down.
 */
export class HttpScorer implements Scorer {
  private readonly baseUrl: string;
  private started = false;
  private closed = false;
  private current: ScorerStatus = { mode: "http", state: "stopped", restarts: 0, lastError: null, pid: null, version: null, numpy: null };

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
  ) {
    this.baseUrl = config.ml.servingUrl;
  }

  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.current.state = "starting";
    // Fills the status (state, version) before the first real call; a failure is already recorded there.
    this.health().catch(() => {});
  }

  async score(request: ScoreRequest, options: CallOptions = {}): Promise<ScoreResult> {
    return unpackScoreResult(await this.call("POST", "/score", packScoreRequest(request), options));
  }

  update(request: UpdateRequest, options: CallOptions = {}): Promise<UpdateResult> {
    return this.call("POST", "/update", request, options);
  }

  revert(request: UpdateRequest, options: CallOptions = {}): Promise<UpdateResult> {
    return this.call("POST", "/revert", request, options);
  }

  migrate(request: MigrateRequest, options: CallOptions = {}): Promise<UpdateResult> {
    return this.call("POST", "/migrate", request, options);
  }

  async health(options: CallOptions = {}): Promise<ScorerHealth> {
    const health = await this.call<ScorerHealth>("GET", "/health", null, options);
    this.current.version = health.version;
    this.current.numpy = health.numpy;
    return health;
  }

  status(): ScorerStatus {
    return { ...this.current, state: this.closed ? "closed" : this.current.state };
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private async call<T>(method: "GET" | "POST", path: string, body: object | null, options: CallOptions): Promise<T> {
    if (this.closed) throw new ScorerUnavailable("down", "the scorer is closed");
    if (!this.started) throw new ScorerUnavailable("down", "the scorer is not started");
    const url = `${this.baseUrl}${path}`;
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (options.traceparent) headers.traceparent = options.traceparent;
    const timeoutMs = this.config.ml.timeoutMs;
    let status: number;
    let text: string;
    try {
      const response = await fetch(url, {
        method,
        headers,
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      if (error instanceof Error && error.name === "TimeoutError") {
        throw this.failed("timeout", `the scorer at ${url} did not answer within ${timeoutMs} ms`);
      }
      throw this.failed("down", `the scorer at ${url} is unreachable: ${reasonOf(error)}`);
    }
    let reply: Reply;
    try {
      reply = JSON.parse(text);
    } catch {
      throw this.failed("down", `the scorer at ${url} answered HTTP ${status} with a body that is not JSON`);
    }
    if (status !== 200 && !(status === 400 && typeof reply.error === "string")) {
      throw this.failed("down", `the scorer at ${url} answered HTTP ${status}`);
    }
    this.current.state = "up";
    if (status === 200) return reply as T;
    throw new ScorerUnavailable("error", String(reply.error));
  }

  private failed(reason: ScorerFailure, message: string): ScorerUnavailable {
    if (reason === "down") {
      if (this.current.state !== "down") this.log.warn({ url: this.baseUrl }, message);
      this.current.state = "down";
    }
    this.current.lastError = message;
    return new ScorerUnavailable(reason, message);
  }
}
