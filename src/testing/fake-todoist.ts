import { createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import type { TodoistApiTask } from "../integrations/todoist/tasks.ts";

/**
 * A real HTTP server that behaves like Todoist's OAuth endpoints and API v1, for tests that must
 * exercise the network path (timeouts, retries, headers) rather than a mocked fetch.
 *
 * Faithful where oO depends on it: opaque string ids, cursor paging with the 200 limit, single-use
 * OAuth codes, rotating refresh tokens, RFC 7009 revoke with Basic client auth, `X-Request-Id`
 * de-duplication of POSTs, recurring tasks that roll forward when closed, token scopes, and the
 * v1 error body `{error, error_code, error_extra, error_tag, http_code}`.
 */

/** Every field API v1 returns for a task. */
export interface FakeTask extends TodoistApiTask {
  description: string;
  priority: number;
  due: { date: string; string: string; is_recurring: boolean; timezone: string | null; lang: string } | null;
  labels: string[];
  user_id: string;
  project_id: string;
  section_id: string | null;
  parent_id: string | null;
  added_by_uid: string | null;
  assigned_by_uid: string | null;
  responsible_uid: string | null;
  deadline: { date: string; lang: string } | null;
  duration: { amount: number; unit: "minute" | "day" } | null;
  checked: boolean;
  is_deleted: boolean;
  added_at: string;
  completed_at: string | null;
  updated_at: string;
  child_order: number;
  day_order: number;
  is_collapsed: boolean;
  note_count: number;
}

export type TaskSeed = Partial<Omit<FakeTask, "due" | "user_id">> & {
  due?: { date: string; string?: string; is_recurring?: boolean; timezone?: string | null; lang?: string } | null;
};

export interface FakeTodoistOptions {
  clientId?: string;
  clientSecret?: string;
  /** Access token lifetime; when set, the token endpoint also issues rotating refresh tokens. Default: long-lived tokens only. */
  accessTokenLifetimeSeconds?: number;
  /** Where authorize sends the browser when the request has no `redirect_uri` (the app console's OAuth redirect URL). */
  callbackUrl?: string;
}

export interface LoggedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: string;
  at: number;
}

export type WebhookEventName =
  | "item:added"
  | "item:updated"
  | "item:deleted"
  | "item:completed"
  | "item:uncompleted"
  | "note:added"
  | "note:updated"
  | "note:deleted"
  | "project:added"
  | "project:updated"
  | "project:deleted";

export interface WebhookDelivery {
  status: number;
  deliveryId: string;
  /** The exact bytes that were signed and sent. */
  body: string;
  signature: string;
  response: Response;
}

export const TODOIST_SCOPES = ["task:add", "data:read", "data:read_write", "data:delete", "project:delete", "backups:read"];
const READ_SCOPES = ["data:read", "data:read_write"];
const WRITE_SCOPES = ["data:read_write"];
const MAX_PAGE = 200;
const DEFAULT_PAGE = 50;
const CODE_LIFETIME_MS = 10 * 60_000;
/** Todoist accepts a just-rotated refresh token for a minute, so a retried refresh does not lock the user out. */
const REFRESH_GRACE_MS = 60_000;

interface FakeUser {
  id: string;
  email: string;
  fullName: string;
  timeZone: string;
  inboxProjectId: string;
  tasks: Map<string, FakeTask>;
  /** `X-Request-Id` → the status first answered, so a repeated POST is not applied twice. */
  processedRequests: Map<string, number>;
}

interface AccessToken {
  userId: string;
  scopes: string[];
  expiresAt: number | null;
  revoked: boolean;
}

interface RefreshToken {
  userId: string;
  scopes: string[];
  rotatedAt: number | null;
  revoked: boolean;
}

interface PendingCode {
  userId: string;
  scopes: string[];
  redirectUri: string | null;
  expiresAt: number;
}

export interface CannedResponse {
  status: number;
  /** Sent as JSON unless it is a string. */
  body?: unknown;
  headers?: Record<string, string>;
}

const ALPHANUMERIC = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** Opaque ids in the shape API v1 uses ("6X7rM8997g3RQmvh"), never sequential. */
function opaqueId(length = 16): string {
  const bytes = randomBytes(length);
  let id = "";
  for (const byte of bytes) id += ALPHANUMERIC[byte % ALPHANUMERIC.length];
  return id;
}

/** Todoist timestamps carry microseconds: `2025-02-10T10:39:38.000000Z`. */
function todoistTimestamp(ms = Date.now()): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}

function apiError(status: number, tag: string, message: string, extra: Record<string, unknown> = {}): Response {
  return json(status, { error: message, error_code: status, error_extra: extra, error_tag: tag, http_code: status });
}

function oauthError(status: number, error: string): Response {
  return json(status, { error });
}

/** Form or JSON bodies, as Todoist's OAuth endpoints accept both. */
function parseParams(body: string, contentType: string | null): Record<string, string> {
  if (contentType?.includes("application/json")) {
    try {
      const parsed = JSON.parse(body) as Record<string, unknown>;
      return Object.fromEntries(Object.entries(parsed).map(([key, value]) => [key, String(value)]));
    } catch {
      return {};
    }
  }
  return Object.fromEntries(new URLSearchParams(body));
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

const RECURRENCE = /every\s*!?\s*(\d+)?\s*(day|week|month|year)|daily|weekly|monthly|yearly/i;

/** Moves a recurring due date to its next occurrence after today, keeping its form (date, floating or instant). */
function nextOccurrence(due: NonNullable<FakeTask["due"]>): NonNullable<FakeTask["due"]> {
  const match = RECURRENCE.exec(due.string ?? "");
  const word = (match?.[2] ?? match?.[0] ?? "day").toLowerCase();
  const every = Number(match?.[1] ?? 1);
  const unit = word.startsWith("week") ? "week" : word.startsWith("month") ? "month" : word.startsWith("year") ? "year" : "day";
  const datePart = due.date.slice(0, 10);
  const rest = due.date.slice(10);
  const next = new Date(`${datePart}T00:00:00Z`);
  const today = new Date().toISOString().slice(0, 10);
  do {
    if (unit === "day") next.setUTCDate(next.getUTCDate() + every);
    else if (unit === "week") next.setUTCDate(next.getUTCDate() + 7 * every);
    else if (unit === "month") next.setUTCMonth(next.getUTCMonth() + every);
    else next.setUTCFullYear(next.getUTCFullYear() + every);
  } while (next.toISOString().slice(0, 10) <= today);
  return { ...due, date: `${next.toISOString().slice(0, 10)}${rest}` };
}

export class FakeTodoist {
  readonly clientId: string;
  readonly clientSecret: string;
  /** Origin, e.g. `http://127.0.0.1:43121`. */
  readonly url: string;
  readonly authUrl: string;
  readonly tokenUrl: string;
  readonly apiBaseUrl: string;
  /** Every request received, oldest first. */
  readonly requests: LoggedRequest[] = [];

  private readonly server: ReturnType<typeof Bun.serve>;
  private readonly users = new Map<string, FakeUser>();
  private readonly accessTokens = new Map<string, AccessToken>();
  private readonly refreshTokens = new Map<string, RefreshToken>();
  private readonly codes = new Map<string, PendingCode>();
  private readonly injected: CannedResponse[] = [];
  private readonly listeners = new Set<(request: LoggedRequest) => void>();
  private latencyMs = 0;
  private approvingUserId: string | null = null;
  private denyNext = false;
  private lastCreatedUserId: string | null = null;

  constructor(private readonly options: FakeTodoistOptions = {}) {
    this.clientId = options.clientId ?? "fake-todoist-client";
    this.clientSecret = options.clientSecret ?? randomBytes(16).toString("hex");
    this.server = Bun.serve({ port: 0, hostname: "127.0.0.1", idleTimeout: 60, fetch: (request) => this.handle(request) });
    this.url = `http://127.0.0.1:${this.server.port}`;
    this.authUrl = `${this.url}/oauth/authorize`;
    this.tokenUrl = `${this.url}/oauth/access_token`;
    this.apiBaseUrl = `${this.url}/api/v1`;
  }

  /** The environment that points oO at this fake (merge into `createTestApp`'s env). */
  get env(): Record<string, string> {
    return {
      TODOIST_CLIENT_ID: this.clientId,
      TODOIST_CLIENT_SECRET: this.clientSecret,
      TODOIST_AUTH_URL: this.authUrl,
      TODOIST_TOKEN_URL: this.tokenUrl,
      TODOIST_API_BASE_URL: this.apiBaseUrl,
    };
  }

  async stop(): Promise<void> {
    await this.server.stop(true);
  }

  // --- users and tokens -------------------------------------------------------------------------

  /** A Todoist account with a long-lived token. Later OAuth approvals sign in as the newest user unless `authorizeAs` says otherwise. */
  createUser(options: { tasks?: TaskSeed[]; scopes?: string[]; timeZone?: string; email?: string } = {}): { id: string; token: string } {
    const id = String(10_000_000 + (randomBytes(4).readUInt32BE() % 90_000_000));
    const user: FakeUser = {
      id,
      email: options.email ?? `user${id}@example.com`,
      fullName: `User ${id}`,
      timeZone: options.timeZone ?? "UTC",
      inboxProjectId: opaqueId(),
      tasks: new Map(),
      processedRequests: new Map(),
    };
    this.users.set(id, user);
    this.lastCreatedUserId = id;
    for (const seed of options.tasks ?? []) this.addTask(id, seed);
    return { id, token: this.issueToken(id, { scopes: options.scopes }) };
  }

  /** Another access token for a user (as a second OAuth grant would give). */
  issueToken(userId: string, options: { scopes?: string[]; lifetimeSeconds?: number } = {}): string {
    this.user(userId);
    const token = randomBytes(20).toString("hex");
    const lifetime = options.lifetimeSeconds;
    this.accessTokens.set(token, {
      userId,
      scopes: options.scopes ?? ["data:read_write"],
      expiresAt: lifetime === undefined ? null : Date.now() + lifetime * 1000,
      revoked: false,
    });
    return token;
  }

  /** The account the next OAuth approvals sign in as. */
  authorizeAs(userId: string): void {
    this.user(userId);
    this.approvingUserId = userId;
  }

  /** The next authorize request is refused by the user (`error=access_denied`). */
  denyNextAuthorization(): void {
    this.denyNext = true;
  }

  /** An access or refresh token's state. */
  tokenState(token: string): "active" | "expired" | "revoked" | "unknown" {
    const refresh = this.refreshTokens.get(token);
    if (refresh) return refresh.revoked ? "revoked" : "active";
    const record = this.accessTokens.get(token);
    if (!record) return "unknown";
    if (record.revoked) return "revoked";
    return record.expiresAt !== null && record.expiresAt <= Date.now() ? "expired" : "active";
  }

  expireAccessToken(token: string): void {
    const record = this.accessTokens.get(token);
    if (!record) throw new Error("unknown access token");
    record.expiresAt = Date.now() - 1;
  }

  userIdOf(token: string): string | undefined {
    return this.accessTokens.get(token)?.userId;
  }

  // --- tasks ------------------------------------------------------------------------------------

  addTask(userId: string, seed: TaskSeed = {}): FakeTask {
    const user = this.user(userId);
    const now = todoistTimestamp();
    const { due, ...fields } = seed;
    const task: FakeTask = {
      id: opaqueId(),
      content: "Task",
      description: "",
      priority: 1,
      labels: [],
      project_id: user.inboxProjectId,
      section_id: null,
      parent_id: null,
      added_by_uid: user.id,
      assigned_by_uid: null,
      responsible_uid: null,
      deadline: null,
      duration: null,
      checked: false,
      is_deleted: false,
      added_at: now,
      completed_at: null,
      updated_at: now,
      child_order: user.tasks.size + 1,
      day_order: -1,
      is_collapsed: false,
      note_count: 0,
      ...fields,
      due: due
        ? { date: due.date, string: due.string ?? due.date, is_recurring: due.is_recurring ?? false, timezone: due.timezone ?? null, lang: due.lang ?? "en" }
        : null,
      user_id: user.id,
    };
    user.tasks.set(task.id, task);
    return structuredClone(task);
  }

  /** `count` plain tasks named "Task 1"… for paging tests. */
  seedTasks(userId: string, count: number, seed: (index: number) => TaskSeed = () => ({})): FakeTask[] {
    return Array.from({ length: count }, (_, index) => this.addTask(userId, { content: `Task ${index + 1}`, ...seed(index) }));
  }

  updateTask(userId: string, taskId: string, patch: TaskSeed): FakeTask {
    const task = this.storedTask(userId, taskId);
    const { due, ...fields } = patch;
    Object.assign(task, fields, { updated_at: todoistTimestamp() });
    if (due !== undefined) {
      task.due = due
        ? { date: due.date, string: due.string ?? due.date, is_recurring: due.is_recurring ?? false, timezone: due.timezone ?? null, lang: due.lang ?? "en" }
        : null;
    }
    return structuredClone(task);
  }

  /** What closing the task in the Todoist app does: recurring tasks move to their next date, others (and their subtasks) complete. */
  completeTask(userId: string, taskId: string): FakeTask {
    const user = this.user(userId);
    const task = this.storedTask(userId, taskId);
    this.close(user, task);
    return structuredClone(task);
  }

  deleteTask(userId: string, taskId: string): FakeTask {
    const task = this.storedTask(userId, taskId);
    task.is_deleted = true;
    task.updated_at = todoistTimestamp();
    return structuredClone(task);
  }

  task(userId: string, taskId: string): FakeTask | undefined {
    const task = this.user(userId).tasks.get(taskId);
    return task && structuredClone(task);
  }

  /** Open tasks in the order the API pages them. */
  activeTasks(userId: string): FakeTask[] {
    return this.ordered(this.user(userId)).map((task) => structuredClone(task));
  }

  // --- fault injection and observation --------------------------------------------------------------

  /** The next `count` requests (any endpoint but the authorize page) answer `status` with a v1 error body. */
  failNext(count: number, status = 500): void {
    const body = { error: "Service unavailable", error_code: status, error_extra: {}, error_tag: "SERVICE_ERROR", http_code: status };
    for (let i = 0; i < count; i++) this.injected.push({ status, body });
  }

  /** The next `count` requests answer 429 with `Retry-After: retryAfterSeconds`, as Todoist does. */
  rateLimitNext(count: number, retryAfterSeconds: number): void {
    const body = { error: "Too many requests", error_code: 429, error_extra: { retry_after: retryAfterSeconds }, error_tag: "LIMITS_REACHED", http_code: 429 };
    for (let i = 0; i < count; i++) this.injected.push({ status: 429, body, headers: { "retry-after": String(retryAfterSeconds) } });
  }

  /** The next request (any endpoint but the authorize page) gets exactly this answer: for protocol drift and odd proxies. */
  respondNext(response: CannedResponse): void {
    this.injected.push(response);
  }

  /** Delay before every response (0 to stop). */
  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  /** Requests matching a method and an exact path (or a path pattern). */
  count(method: string, path: string | RegExp): number {
    return this.requests.filter(
      (request) => request.method === method && (typeof path === "string" ? request.path === path : path.test(request.path)),
    ).length;
  }

  /** Runs after each request is logged and before it is answered (to change tasks between two pages, say). Returns the unsubscribe. */
  onRequest(listener: (request: LoggedRequest) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  clearRequests(): void {
    this.requests.length = 0;
  }

  /**
   * POSTs a webhook the way Todoist does: JSON body, `X-Todoist-Hmac-SHA256` = base64 HMAC-SHA256 of
   * the raw body keyed with the client secret, and `X-Todoist-Delivery-ID` (pass the same id again
   * to simulate Todoist's retry of a delivery).
   */
  async deliverWebhook(
    url: string,
    event: { name: WebhookEventName; data: object; userId?: string },
    options: { secret?: string; deliveryId?: string } = {},
  ): Promise<WebhookDelivery> {
    const dataUserId = "user_id" in event.data && typeof event.data.user_id === "string" ? event.data.user_id : undefined;
    const userId = event.userId ?? dataUserId ?? this.lastCreatedUserId ?? "0";
    const initiator = this.users.get(userId);
    const body = JSON.stringify({
      event_name: event.name,
      user_id: userId,
      event_data: event.data,
      initiator: {
        email: initiator?.email ?? "someone@example.com",
        full_name: initiator?.fullName ?? "Someone",
        id: userId,
        image_id: null,
        is_premium: false,
      },
      triggered_at: todoistTimestamp(),
      version: "10",
    });
    const signature = createHmac("sha256", options.secret ?? this.clientSecret).update(body).digest("base64");
    const deliveryId = options.deliveryId ?? randomUUID();
    const response = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "Todoist-Webhooks",
        "x-todoist-hmac-sha256": signature,
        "x-todoist-delivery-id": deliveryId,
      },
      body,
    });
    return { status: response.status, deliveryId, body, signature, response };
  }

  // --- HTTP ---------------------------------------------------------------------------------------

  private async handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const body = await request.text();
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const logged = { method: request.method, path: url.pathname, query: Object.fromEntries(url.searchParams), headers, body, at: Date.now() };
    this.requests.push(logged);
    for (const listener of this.listeners) listener(logged);
    if (this.latencyMs > 0) await Bun.sleep(this.latencyMs);

    // The authorize page is a browser screen, not an API call: injected faults skip it.
    const isAuthorizePage = url.pathname === "/oauth/authorize";
    const canned = isAuthorizePage ? undefined : this.injected.shift();
    if (canned) {
      const text = canned.body === undefined ? null : typeof canned.body === "string" ? canned.body : JSON.stringify(canned.body);
      const type = typeof canned.body === "string" ? "text/html" : "application/json";
      return new Response(text, { status: canned.status, headers: { "content-type": type, ...canned.headers } });
    }

    const params = parseParams(body, request.headers.get("content-type"));
    if (isAuthorizePage && request.method === "GET") return this.authorize(url.searchParams);
    if (url.pathname === "/oauth/access_token" && request.method === "POST") return this.token(params);
    if (url.pathname === "/api/v1/revoke" && request.method === "POST") return this.revoke(request, params);

    const api = /^\/api\/v1\/(.+)$/.exec(url.pathname);
    if (!api) return apiError(404, "NOT_FOUND", "Not found");
    const caller = this.caller(request);
    if (caller instanceof Response) return caller;
    const [user, scopes] = caller;
    const route = api[1]!;
    const needs = (allowed: string[]) =>
      scopes.some((scope) => allowed.includes(scope))
        ? undefined
        : apiError(403, "AUTH_INSUFFICIENT_TOKEN_SCOPE", "Insufficient token scope", { access_type: "access_token" });

    if (route === "user" && request.method === "GET") {
      return needs(READ_SCOPES) ?? json(200, { id: user.id, email: user.email, full_name: user.fullName, tz_info: { timezone: user.timeZone } });
    }
    if (route === "tasks" && request.method === "GET") return needs(READ_SCOPES) ?? this.listTasks(user, url.searchParams);
    const taskRoute = /^tasks\/([^/]+)(?:\/(close|reopen))?$/.exec(route);
    if (taskRoute && request.method === "GET" && !taskRoute[2]) return needs(READ_SCOPES) ?? this.getTask(user, taskRoute[1]!);
    if (taskRoute && request.method === "POST" && taskRoute[2]) {
      const change = taskRoute[2] === "close" ? (task: FakeTask) => this.close(user, task) : (task: FakeTask) => this.reopen(user, task);
      return needs(WRITE_SCOPES) ?? this.changeByApi(user, taskRoute[1]!, request.headers.get("x-request-id"), change);
    }
    return apiError(404, "NOT_FOUND", "Not found");
  }

  private authorize(query: URLSearchParams): Response {
    const clientId = query.get("client_id");
    const state = query.get("state");
    const scope = query.get("scope");
    if (clientId !== this.clientId) return new Response("Invalid client_id", { status: 400 });
    if (!state) return new Response("Missing state", { status: 400 });
    const redirectUri = query.get("redirect_uri");
    const target = redirectUri ?? this.options.callbackUrl;
    if (!target) return new Response("No redirect URL registered for this app", { status: 400 });
    const back = new URL(target);
    back.searchParams.set("state", state);
    const scopes = (scope ?? "").split(",").filter(Boolean);
    if (this.denyNext) {
      this.denyNext = false;
      back.searchParams.set("error", "access_denied");
    } else if (scopes.length === 0 || scopes.some((item) => !TODOIST_SCOPES.includes(item))) {
      back.searchParams.set("error", "invalid_scope");
    } else {
      const userId = this.approvingUserId ?? this.lastCreatedUserId ?? this.createUser().id;
      const code = opaqueId(40);
      this.codes.set(code, { userId, scopes, redirectUri, expiresAt: Date.now() + CODE_LIFETIME_MS });
      back.searchParams.set("code", code);
    }
    return new Response(null, { status: 302, headers: { location: back.toString() } });
  }

  private token(params: Record<string, string>): Response {
    if (params.client_id !== this.clientId || !sameSecret(params.client_secret ?? "", this.clientSecret)) {
      return oauthError(400, "invalid_client");
    }
    if (params.grant_type === "refresh_token") return this.refresh(params.refresh_token ?? "");
    if (params.grant_type && params.grant_type !== "authorization_code") return oauthError(400, "unsupported_grant_type");
    const code = this.codes.get(params.code ?? "");
    // Codes are single use: the first exchange consumes the code, even when it then fails.
    this.codes.delete(params.code ?? "");
    if (!code || code.expiresAt <= Date.now()) return oauthError(400, "invalid_grant");
    if (params.redirect_uri !== undefined && params.redirect_uri !== code.redirectUri) return oauthError(400, "invalid_grant");
    return this.grant(code.userId, code.scopes);
  }

  private refresh(refreshToken: string): Response {
    const record = this.refreshTokens.get(refreshToken);
    if (!record || record.revoked || (record.rotatedAt !== null && Date.now() - record.rotatedAt > REFRESH_GRACE_MS)) {
      return oauthError(400, "invalid_grant");
    }
    record.rotatedAt ??= Date.now();
    return this.grant(record.userId, record.scopes);
  }

  private grant(userId: string, scopes: string[]): Response {
    const lifetime = this.options.accessTokenLifetimeSeconds;
    const accessToken = this.issueToken(userId, { scopes, lifetimeSeconds: lifetime });
    if (lifetime === undefined) return json(200, { access_token: accessToken, token_type: "Bearer" });
    const refreshToken = randomBytes(24).toString("hex");
    this.refreshTokens.set(refreshToken, { userId, scopes, rotatedAt: null, revoked: false });
    return json(200, { access_token: accessToken, token_type: "Bearer", refresh_token: refreshToken, expires_in: lifetime });
  }

  private revoke(request: Request, params: Record<string, string>): Response {
    const basic = /^Basic (.+)$/.exec(request.headers.get("authorization") ?? "");
    const [id, secret] = basic ? Buffer.from(basic[1]!, "base64").toString().split(/:(.*)/s) : [];
    if (id !== this.clientId || !sameSecret(secret ?? "", this.clientSecret)) return oauthError(401, "invalid_client");
    if (!params.token) return oauthError(400, "invalid_request");
    const access = this.accessTokens.get(params.token);
    if (access) access.revoked = true;
    const refresh = this.refreshTokens.get(params.token);
    if (refresh) refresh.revoked = true;
    // RFC 7009: an unknown token is not an error.
    return new Response(null, { status: 200 });
  }

  private caller(request: Request): [FakeUser, string[]] | Response {
    const bearer = /^Bearer (.+)$/.exec(request.headers.get("authorization") ?? "");
    const record = bearer ? this.accessTokens.get(bearer[1]!) : undefined;
    if (!record || this.tokenState(bearer![1]!) !== "active") return apiError(401, "AUTH_INVALID_TOKEN", "Unauthorized");
    return [this.user(record.userId), record.scopes];
  }

  private listTasks(user: FakeUser, query: URLSearchParams): Response {
    const limit = query.has("limit") ? Number(query.get("limit")) : DEFAULT_PAGE;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
      return apiError(400, "INVALID_ARGUMENT_VALUE", "Invalid argument value", { argument: "limit", max: MAX_PAGE });
    }
    const cursor = query.get("cursor");
    let offset = 0;
    if (cursor) {
      const decoded = /^c1\.(\d+)$/.exec(Buffer.from(cursor, "base64url").toString());
      if (!decoded) return apiError(400, "INVALID_ARGUMENT_VALUE", "Invalid argument value", { argument: "cursor" });
      offset = Number(decoded[1]);
    }
    // Offset paging over the live list, as a cursor over a changing list behaves: a task added
    // ahead of the cursor between two pages shifts the rest, so a client sees some tasks twice.
    const open = this.ordered(user);
    const page = open.slice(offset, offset + limit);
    const end = offset + page.length;
    const nextCursor = end < open.length ? Buffer.from(`c1.${end}`).toString("base64url") : null;
    return json(200, { results: page, next_cursor: nextCursor });
  }

  private getTask(user: FakeUser, taskId: string): Response {
    const task = user.tasks.get(taskId);
    return task && !task.is_deleted ? json(200, task) : apiError(404, "NOT_FOUND", "Task not found");
  }

  /** A close or a reopen: 204 for any task that exists (open or not), 404 for one deleted or unknown; de-duplicated on X-Request-Id. */
  private changeByApi(user: FakeUser, taskId: string, requestId: string | null, change: (task: FakeTask) => void): Response {
    if (requestId) {
      const earlier = user.processedRequests.get(requestId);
      if (earlier !== undefined) return earlier === 204 ? new Response(null, { status: 204 }) : apiError(earlier, "NOT_FOUND", "Task not found");
    }
    const task = user.tasks.get(taskId);
    const status = task && !task.is_deleted ? 204 : 404;
    if (task && status === 204) change(task);
    if (requestId) user.processedRequests.set(requestId, status);
    return status === 204 ? new Response(null, { status }) : apiError(404, "NOT_FOUND", "Task not found");
  }

  private close(user: FakeUser, task: FakeTask) {
    if (task.checked) return;
    const now = todoistTimestamp();
    task.updated_at = now;
    if (task.due?.is_recurring) {
      task.due = nextOccurrence(task.due);
      return;
    }
    task.checked = true;
    task.completed_at = now;
    for (const child of user.tasks.values()) if (child.parent_id === task.id && !child.is_deleted) this.close(user, child);
  }

  /** Todoist's reopen: the task and its closed ancestors become active again. A recurring task keeps the date it moved to. */
  private reopen(user: FakeUser, task: FakeTask) {
    for (let current: FakeTask | undefined = task; current; current = current.parent_id ? user.tasks.get(current.parent_id) : undefined) {
      if (!current.checked) continue;
      current.checked = false;
      current.completed_at = null;
      current.updated_at = todoistTimestamp();
    }
  }

  private ordered(user: FakeUser): FakeTask[] {
    return [...user.tasks.values()].filter((task) => !task.checked && !task.is_deleted).sort((a, b) => a.child_order - b.child_order);
  }

  private user(userId: string): FakeUser {
    const user = this.users.get(userId);
    if (!user) throw new Error(`no fake Todoist user ${userId}`);
    return user;
  }

  private storedTask(userId: string, taskId: string): FakeTask {
    const task = this.user(userId).tasks.get(taskId);
    if (!task) throw new Error(`no task ${taskId} for user ${userId}`);
    return task;
  }
}

/** Starts a fake on a free port; call `stop()` when done. */
export function startFakeTodoist(options: FakeTodoistOptions = {}): FakeTodoist {
  return new FakeTodoist(options);
}
