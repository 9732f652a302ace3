/**
 * Todoist API v1 and OAuth, over fetch.
 *
 * Not the official `@doist/todoist-sdk` (17.0.0, tried against the fake under Bun and in a compiled
 * binary, where it works): it gives up on the first 429 or 5xx (it retries network errors only, and
 * drops `Retry-After`), has a fixed 30 s timeout that only a whole custom fetch can replace, takes an
 * origin rather than our configured URLs (the `/api/v1/` and `/oauth/` paths are fixed), fails a
 * whole page through zod when one field drifts, and adds ~320 KB of bundle (zod, undici, a Kotlin
 * runtime) that costs ~44 ms of import on a cold start budgeted at 200 ms. Six endpoints do not
 * need it.
 */
import { retryAfterMs } from "../../http/retry-after.ts";
import { lazyCheck } from "../../lazy-check.ts";
import type { Config } from "../../config.ts";
import { type TodoistApiTask, TodoistApiTaskSchema } from "./tasks.ts";

export type TodoistSettings = Pick<Config["todoist"], "clientId" | "clientSecret" | "authUrl" | "tokenUrl" | "apiBaseUrl">;

export interface TodoistClientTuning {
  /** Per attempt, including reading the body. */
  timeoutMs?: number;
  /** Retries after a 429, a 5xx, a timeout or a network error; each call makes at most 1 + this many attempts. */
  maxRetries?: number;
  /** First backoff step; it doubles each retry, with jitter (each wait is 50–100 % of its step). */
  retryBaseDelayMs?: number;
  /** The longest `Retry-After` worth waiting for in-line; longer ones throw `TodoistRateLimitError` at once. */
  maxRetryAfterMs?: number;
}

export interface CallOptions {
  /** The caller's W3C trace context, sent on every attempt. */
  traceparent?: string;
  /** Aborts the call, including any wait between attempts. */
  signal?: AbortSignal;
}

export interface TodoistTokens {
  accessToken: string;
  /** Only when Todoist issues expiring tokens. */
  refreshToken: string | null;
  /** Milliseconds since the epoch; null for a long-lived token. */
  expiresAt: number | null;
}

export interface TodoistUser {
  /** The id webhooks carry as `user_id`. */
  id: string;
  /** The IANA zone set in Todoist, if any. */
  timeZone: string | null;
}

export interface TodoistTaskList {
  tasks: TodoistApiTask[];
  /** Ids of tasks that did not fit the schema and were left out; keep what is stored for them rather than treating them as gone. */
  invalidIds: string[];
}

/** A failed Todoist call. The message names the operation and status, never a token, code or secret. */
export class TodoistError extends Error {
  override name = "TodoistError";
  constructor(
    message: string,
    /** The HTTP status, or null when no response came (timeout, network). */
    readonly status: number | null,
    /** Whether trying again later may succeed. */
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** 401/403, or a dead OAuth grant: the user must reconnect Todoist. */
export class TodoistAuthError extends TodoistError {
  override name = "TodoistAuthError";
}

/** 404: the task (or other resource) no longer exists. */
export class TodoistNotFoundError extends TodoistError {
  override name = "TodoistNotFoundError";
}

/** Still rate limited after the retries, or told to wait longer than `maxRetryAfterMs`. */
export class TodoistRateLimitError extends TodoistError {
  override name = "TodoistRateLimitError";
  constructor(
    message: string,
    /** How long Todoist asked to wait, when it said. */
    readonly retryAfterMs: number | null,
  ) {
    super(message, 429, true);
  }
}

const DEFAULTS: Required<TodoistClientTuning> = { timeoutMs: 10_000, maxRetries: 3, retryBaseDelayMs: 500, maxRetryAfterMs: 60_000 };
const PAGE_LIMIT = 200;
const DEFAULT_SCOPES = ["data:read_write"];

const taskCheck = lazyCheck(TodoistApiTaskSchema);
/** Error tags are echoed only when they look like tags, so no free text from a response reaches a message. */
const SAFE_TAG = /^[A-Za-z0-9_.:-]{1,64}$/;

interface Call {
  operation: string;
  method: "GET" | "POST";
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** The token endpoint reports a dead code or refresh token as 400 invalid_grant. */
  oauth?: boolean;
}

type Attempt = { ok: true; body: unknown } | { ok: false; retry: TodoistError; waitMs: number };

export class TodoistClient {
  private readonly tuning: Required<TodoistClientTuning>;

  constructor(
    private readonly settings: TodoistSettings,
    tuning: TodoistClientTuning = {},
  ) {
    this.tuning = { ...DEFAULTS, ...tuning };
  }

  /** Where to send the browser to connect Todoist; `state` must be checked on the way back. */
  authorizationUrl(options: { state: string; scopes?: string[]; redirectUri?: string }): string {
    const url = new URL(this.settings.authUrl);
    url.searchParams.set("client_id", this.settings.clientId);
    url.searchParams.set("scope", (options.scopes ?? DEFAULT_SCOPES).join(","));
    url.searchParams.set("state", options.state);
    if (options.redirectUri) url.searchParams.set("redirect_uri", options.redirectUri);
    return url.toString();
  }

  async exchangeCode(code: string, options: CallOptions & { redirectUri?: string } = {}): Promise<TodoistTokens> {
    const form: Record<string, string> = { client_id: this.settings.clientId, client_secret: this.settings.clientSecret, code };
    if (options.redirectUri) form.redirect_uri = options.redirectUri;
    return this.tokens("exchange code", form, options);
  }

  async refreshAccessToken(refreshToken: string, options: CallOptions = {}): Promise<TodoistTokens> {
    const form = {
      client_id: this.settings.clientId,
      client_secret: this.settings.clientSecret,
      grant_type: "refresh_token",
      refresh_token: refreshToken,
    };
    return this.tokens("refresh token", form, options);
  }

  /** RFC 7009 revocation with HTTP Basic client authentication; the token stops working everywhere. */
  async revokeToken(token: string, options: CallOptions & { hint?: "access_token" | "refresh_token" } = {}): Promise<void> {
    const basic = Buffer.from(`${this.settings.clientId}:${this.settings.clientSecret}`).toString("base64");
    await this.send(
      {
        operation: "revoke token",
        method: "POST",
        url: `${this.settings.apiBaseUrl}/revoke`,
        headers: { authorization: `Basic ${basic}`, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token, token_type_hint: options.hint ?? "access_token" }).toString(),
      },
      options,
    );
  }

  async getUser(token: string, options: CallOptions = {}): Promise<TodoistUser> {
    const user = (await this.send(this.api("get user", "GET", "/user", token), options)) as { id?: unknown; tz_info?: { timezone?: unknown } } | null;
    if (typeof user?.id !== "string" || user.id === "") throw new TodoistError("Todoist get user: unexpected response", 200, false);
    const timeZone = user.tz_info?.timezone;
    return { id: user.id, timeZone: typeof timeZone === "string" && timeZone !== "" ? timeZone : null };
  }

  /** Every open task, across all pages; a task seen on two pages (the list moved while paging) appears once, as last seen. */
  async listTasks(token: string, options: CallOptions = {}): Promise<TodoistTaskList> {
    const byId = new Map<string, TodoistApiTask>();
    const invalidIds = new Set<string>();
    const cursors = new Set<string>();
    let cursor: string | null = null;
    do {
      const query = new URLSearchParams({ limit: String(PAGE_LIMIT) });
      if (cursor) query.set("cursor", cursor);
      const page = (await this.send(this.api("list tasks", "GET", `/tasks?${query}`, token), options)) as { results?: unknown; next_cursor?: unknown } | null;
      const nextCursor = page?.next_cursor ?? null;
      if (!Array.isArray(page?.results) || (nextCursor !== null && typeof nextCursor !== "string")) {
        throw new TodoistError("Todoist list tasks: unexpected response", 200, false);
      }
      for (const task of page.results as unknown[]) {
        if (taskCheck().Check(task)) {
          byId.set(task.id, task);
          invalidIds.delete(task.id);
        } else {
          const id = (task as { id?: unknown } | null)?.id;
          if (typeof id === "string" && !byId.has(id)) invalidIds.add(id);
        }
      }
      if (nextCursor !== null && cursors.has(nextCursor)) throw new TodoistError("Todoist list tasks: the cursor repeated", 200, true);
      if (nextCursor !== null) cursors.add(nextCursor);
      cursor = nextCursor;
    } while (cursor);
    return { tasks: [...byId.values()], invalidIds: [...invalidIds] };
  }

  /** One task, open or completed; `TodoistNotFoundError` when it was deleted or never existed. */
  async getTask(token: string, taskId: string, options: CallOptions = {}): Promise<TodoistApiTask> {
    const body = await this.send(this.api("get task", "GET", `/tasks/${encodeURIComponent(taskId)}`, token), options);
    if (!taskCheck().Check(body)) throw new TodoistError("Todoist get task: unexpected response", 200, false);
    return body;
  }

  /**
   * Completes a task (a recurring one moves to its next date). `requestId` (≤ 36 characters) makes
   * Todoist discard repeats: retries here reuse one id, and a caller that retries later (an outbox)
   * should pass its own stable id so a recurring task never advances twice.
   */
  async closeTask(token: string, taskId: string, options: CallOptions & { requestId?: string } = {}): Promise<void> {
    const call = this.api("close task", "POST", `/tasks/${encodeURIComponent(taskId)}/close`, token);
    call.headers["x-request-id"] = options.requestId ?? crypto.randomUUID();
    await this.send(call, options);
  }

  /** Makes a closed task active again (an undone "done"); Todoist answers 204 for a task already open too. */
  async reopenTask(token: string, taskId: string, options: CallOptions & { requestId?: string } = {}): Promise<void> {
    const call = this.api("reopen task", "POST", `/tasks/${encodeURIComponent(taskId)}/reopen`, token);
    call.headers["x-request-id"] = options.requestId ?? crypto.randomUUID();
    await this.send(call, options);
  }

  private api(operation: string, method: "GET" | "POST", path: string, token: string): Call {
    return { operation, method, url: `${this.settings.apiBaseUrl}${path}`, headers: { authorization: `Bearer ${token}` } };
  }

  private async tokens(operation: string, form: Record<string, string>, options: CallOptions): Promise<TodoistTokens> {
    const body = await this.send(
      {
        operation,
        method: "POST",
        url: this.settings.tokenUrl,
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(form).toString(),
        oauth: true,
      },
      options,
    );
    const answer = body as { access_token?: unknown; token_type?: unknown; refresh_token?: unknown; expires_in?: unknown } | null;
    const tokenType = answer?.token_type;
    if (
      typeof answer?.access_token !== "string" ||
      answer.access_token === "" ||
      (tokenType !== undefined && (typeof tokenType !== "string" || tokenType.toLowerCase() !== "bearer"))
    ) {
      throw new TodoistError(`Todoist ${operation}: unexpected response`, 200, false);
    }
    const expiresIn = answer.expires_in;
    return {
      accessToken: answer.access_token,
      refreshToken: typeof answer.refresh_token === "string" && answer.refresh_token !== "" ? answer.refresh_token : null,
      expiresAt: typeof expiresIn === "number" && expiresIn > 0 ? Date.now() + expiresIn * 1000 : null,
    };
  }

  /**
   * One logical call: attempts with a timeout each, waiting out 429s and backing off from 5xx and
   * network failures. Resolves to the parsed body of the successful answer (null when empty or not JSON).
   */
  private async send(call: Call, options: CallOptions): Promise<unknown> {
    const headers: Record<string, string> = { accept: "application/json", ...call.headers };
    if (options.traceparent) headers.traceparent = options.traceparent;
    for (let attempt = 0; ; attempt++) {
      options.signal?.throwIfAborted();
      const outcome = await this.attempt(call, headers, attempt, options.signal);
      if (outcome.ok) return outcome.body;
      if (attempt >= this.tuning.maxRetries) throw outcome.retry;
      await pause(outcome.waitMs, options.signal);
    }
  }

  private async attempt(call: Call, headers: Record<string, string>, attempt: number, caller?: AbortSignal): Promise<Attempt> {
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), this.tuning.timeoutMs);
    const signal = caller ? AbortSignal.any([caller, timeout.signal]) : timeout.signal;
    const label = `Todoist ${call.operation}`;
    try {
      // Redirects are not followed: the API never redirects, and a redirect must not carry the token elsewhere.
      const response = await fetch(call.url, { method: call.method, headers, body: call.body, signal, redirect: "manual" });
      const body = parseJson(await response.text());
      if (response.ok) return { ok: true, body };
      return this.failure(label, response, body, attempt, call.oauth === true);
    } catch (error) {
      if (caller?.aborted) throw caller.reason;
      if (error instanceof TodoistError) throw error;
      if (timeout.signal.aborted) {
        return { ok: false, retry: new TodoistError(`${label}: no answer within ${this.tuning.timeoutMs} ms`, null, true), waitMs: this.backoff(attempt) };
      }
      // Bun's network errors carry a code (ConnectionRefused, ECONNRESET…); their text may name the URL, the code never does.
      const code = (error as { code?: unknown }).code;
      const reason = typeof code === "string" && SAFE_TAG.test(code) ? code : "network error";
      return { ok: false, retry: new TodoistError(`${label}: ${reason}`, null, true), waitMs: this.backoff(attempt) };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Throws for answers that retrying cannot fix; returns the wait for those it can. */
  private failure(label: string, response: Response, body: unknown, attempt: number, oauth: boolean): Attempt {
    const status = response.status;
    const tag = errorTag(body);
    const message = `${label}: HTTP ${status}${tag ? ` (${tag})` : ""}`;
    if (status === 429) {
      const retryAfterMs = retryAfter(response.headers.get("retry-after"), body);
      if (retryAfterMs !== null && retryAfterMs > this.tuning.maxRetryAfterMs) throw new TodoistRateLimitError(message, retryAfterMs);
      return { ok: false, retry: new TodoistRateLimitError(message, retryAfterMs), waitMs: retryAfterMs ?? this.backoff(attempt) };
    }
    if (status >= 500) return { ok: false, retry: new TodoistError(message, status, true), waitMs: this.backoff(attempt) };
    if (status === 401 || status === 403 || (oauth && tag === "invalid_grant")) throw new TodoistAuthError(message, status, false);
    if (status === 404) throw new TodoistNotFoundError(message, status, false);
    throw new TodoistError(message, status, false);
  }

  private backoff(attempt: number): number {
    const step = this.tuning.retryBaseDelayMs * 2 ** attempt;
    return Math.round(step * (0.5 + Math.random() * 0.5));
  }
}

function parseJson(text: string): unknown {
  if (text === "") return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** API v1 errors carry `error_tag`; OAuth errors carry `error` (RFC 6749). */
function errorTag(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const { error_tag: apiTag, error: oauthError } = body as { error_tag?: unknown; error?: unknown };
  const tag = typeof apiTag === "string" ? apiTag : oauthError;
  return typeof tag === "string" && SAFE_TAG.test(tag) ? tag : undefined;
}

/** `Retry-After` in seconds or as an HTTP date, else the `error_extra.retry_after` seconds API v1 puts in the body. */
function retryAfter(header: string | null, body: unknown): number | null {
  const fromHeader = retryAfterMs(header);
  if (fromHeader !== null) return fromHeader;
  const extra = (body as { error_extra?: { retry_after?: unknown } } | null)?.error_extra?.retry_after;
  return typeof extra === "number" && extra >= 0 ? Math.ceil(extra * 1000) : null;
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
