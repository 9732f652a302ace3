import { afterEach, describe, expect, test } from "bun:test";
import { type FakeTodoist, type FakeTodoistOptions, startFakeTodoist } from "../../testing/fake-todoist.ts";
import { freePort, testConfig } from "../../testing/harness.ts";
import {
  TodoistAuthError,
  TodoistClient,
  type TodoistClientTuning,
  TodoistError,
  TodoistNotFoundError,
  TodoistRateLimitError,
} from "./client.ts";

const TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const CALLBACK = "http://localhost:3001/api/integrations/todoist/callback";

const fakes: FakeTodoist[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.stop()));
});

/** A fake Todoist and a client configured the way oO configures it, from the environment. */
function setup(options: FakeTodoistOptions = {}, tuning: TodoistClientTuning = {}) {
  const fake = startFakeTodoist({ callbackUrl: CALLBACK, ...options });
  fakes.push(fake);
  const client = new TodoistClient(testConfig(fake.env).todoist, { retryBaseDelayMs: 5, ...tuning });
  return { fake, client };
}

async function failure(call: Promise<unknown>): Promise<TodoistError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof TodoistError) return error;
    throw error;
  }
  throw new Error("expected the call to fail");
}

/** Follows the authorize redirect as a browser would and returns the callback's query. */
async function approve(url: string): Promise<URLSearchParams> {
  const response = await fetch(url, { redirect: "manual" });
  expect(response.status).toBe(302);
  const location = new URL(response.headers.get("location")!);
  expect(`${location.origin}${location.pathname}`).toBe(CALLBACK);
  return location.searchParams;
}

describe("tasks", () => {
  test("1,000 tasks come back once each, 200 per page, even when the list shifts while paging", async () => {
    const { fake, client } = setup();
    const user = fake.createUser();
    const seeded = fake.seedTasks(user.id, 1000).map((task) => task.id);
    let pages = 0;
    fake.onRequest((request) => {
      // Just before page 2, seven tasks land ahead of the cursor: everything shifts by seven, so
      // page 2 repeats the last seven of page 1 (the seven new ones wait for the next sync).
      if (request.path === "/api/v1/tasks" && ++pages === 2) {
        for (let i = 0; i < 7; i++) fake.addTask(user.id, { content: `Urgent ${i}`, child_order: 0 });
      }
    });

    const { tasks, invalidIds } = await client.listTasks(user.token);

    expect(invalidIds).toEqual([]);
    expect(tasks.map((task) => task.id)).toEqual(seeded);
    // 1,007 rows served over six pages, 1,000 distinct tasks kept.
    const listed = fake.requests.filter((request) => request.path === "/api/v1/tasks");
    expect(listed).toHaveLength(6);
    expect(listed.every((request) => request.query.limit === "200")).toBe(true);
    expect(listed[0]!.query.cursor).toBeUndefined();
    expect(listed.slice(1).every((request) => typeof request.query.cursor === "string")).toBe(true);
    expect(listed[0]!.headers.authorization).toBe(`Bearer ${user.token}`);
  });

  test("ids are opaque strings and tasks keep their API fields", async () => {
    const { fake, client } = setup();
    const user = fake.createUser({
      tasks: [{ content: "Water plants", priority: 4, due: { date: "2024-03-10T09:00:00", string: "every day 9am", is_recurring: true } }],
    });
    const { tasks } = await client.listTasks(user.token);
    expect(tasks[0]!.id).toMatch(/^[0-9A-Za-z]{16}$/);
    expect(tasks[0]).toMatchObject({ content: "Water plants", priority: 4, user_id: user.id, due: { date: "2024-03-10T09:00:00", is_recurring: true } });
    expect(await client.getTask(user.token, tasks[0]!.id)).toEqual(tasks[0]!);
  });

  test("a task that does not fit the schema is left out and named by id", async () => {
    const { fake, client } = setup();
    const user = fake.createUser({ tasks: [{ content: "fine" }, { content: "odd" }] });
    const odd = fake.activeTasks(user.id)[1]!;
    fake.updateTask(user.id, odd.id, { priority: 9 });
    const { tasks, invalidIds } = await client.listTasks(user.token);
    expect(tasks.map((task) => task.content)).toEqual(["fine"]);
    expect(invalidIds).toEqual([odd.id]);
    expect((await failure(client.getTask(user.token, odd.id))).message).toBe("Todoist get task: unexpected response");
  });

  test("close completes a task; a recurring one moves to its next date and stays open", async () => {
    const { fake, client } = setup();
    const user = fake.createUser({
      tasks: [
        { content: "once" },
        { content: "daily", due: { date: "2024-03-10", string: "every day", is_recurring: true } },
      ],
    });
    const [once, daily] = fake.activeTasks(user.id).map((task) => task.id) as [string, string];

    await client.closeTask(user.token, once);
    await client.closeTask(user.token, daily);

    expect(fake.task(user.id, once)!.checked).toBe(true);
    const rolled = fake.task(user.id, daily)!;
    expect(rolled.checked).toBe(false);
    expect(rolled.due!.date > new Date().toISOString().slice(0, 10)).toBe(true);
    expect((await client.listTasks(user.token)).tasks.map((task) => task.id)).toEqual([daily]);
    // A completed task can still be read, marked checked.
    expect((await client.getTask(user.token, once)).checked).toBe(true);
  });

  test("the same request id closes a recurring task once, however often it is sent", async () => {
    const { fake, client } = setup();
    const user = fake.createUser({ tasks: [{ content: "weekly", due: { date: "2030-01-07", string: "every week", is_recurring: true } }] });
    const task = fake.activeTasks(user.id)[0]!;
    await client.closeTask(user.token, task.id, { requestId: "outbox-42" });
    await client.closeTask(user.token, task.id, { requestId: "outbox-42" });
    expect(fake.task(user.id, task.id)!.due!.date).toBe("2030-01-14");
    const ids = fake.requests.filter((request) => request.path.endsWith("/close")).map((request) => request.headers["x-request-id"]);
    expect(ids).toEqual(["outbox-42", "outbox-42"]);
  });

  test("a deleted or unknown task is TodoistNotFoundError", async () => {
    const { fake, client } = setup();
    const user = fake.createUser({ tasks: [{ content: "gone soon" }] });
    const task = fake.activeTasks(user.id)[0]!;
    fake.deleteTask(user.id, task.id);
    const closing = await failure(client.closeTask(user.token, task.id));
    expect(closing).toBeInstanceOf(TodoistNotFoundError);
    expect(closing).toMatchObject({ status: 404, retryable: false, message: "Todoist close task: HTTP 404 (NOT_FOUND)" });
    expect(await failure(client.getTask(user.token, "nope"))).toBeInstanceOf(TodoistNotFoundError);
    expect(fake.count("POST", /\/close$/)).toBe(1);
  });

  test("the Todoist user id and zone", async () => {
    const { fake, client } = setup();
    const user = fake.createUser({ timeZone: "Europe/Paris" });
    expect(await client.getUser(user.token)).toEqual({ id: user.id, timeZone: "Europe/Paris" });
  });
});

describe("robustness", () => {
  test("a 429 waits the Retry-After seconds, then succeeds", async () => {
    const { fake, client } = setup();
    const user = fake.createUser({ tasks: [{ content: "a" }] });
    fake.rateLimitNext(1, 1);
    const started = performance.now();
    const { tasks } = await client.listTasks(user.token);
    const waited = performance.now() - started;
    expect(tasks).toHaveLength(1);
    expect(waited).toBeGreaterThanOrEqual(1000);
    expect(waited).toBeLessThan(1500);
    expect(fake.count("GET", "/api/v1/tasks")).toBe(2);
  });

  test("a Retry-After beyond the cap is not waited out in-line", async () => {
    const { fake, client } = setup({}, { maxRetryAfterMs: 5000 });
    const user = fake.createUser();
    fake.rateLimitNext(1, 120);
    const started = performance.now();
    const error = await failure(client.listTasks(user.token));
    expect(performance.now() - started).toBeLessThan(500);
    expect(error).toBeInstanceOf(TodoistRateLimitError);
    expect(error).toMatchObject({ status: 429, retryable: true, retryAfterMs: 120_000 });
    expect(fake.count("GET", "/api/v1/tasks")).toBe(1);
  });

  test("rate limited on every attempt: TodoistRateLimitError after the retries", async () => {
    const { fake, client } = setup({}, { maxRetries: 2 });
    const user = fake.createUser();
    fake.rateLimitNext(3, 0);
    const error = await failure(client.listTasks(user.token));
    expect(error).toBeInstanceOf(TodoistRateLimitError);
    expect(error.message).toBe("Todoist list tasks: HTTP 429 (LIMITS_REACHED)");
    expect(fake.count("GET", "/api/v1/tasks")).toBe(3);
  });

  test("5xx answers are retried with growing, jittered waits until one succeeds", async () => {
    const { fake, client } = setup({}, { maxRetries: 3, retryBaseDelayMs: 40 });
    const user = fake.createUser({ tasks: [{ content: "a" }] });
    fake.failNext(3, 503);
    const started = performance.now();
    const { tasks } = await client.listTasks(user.token);
    expect(tasks).toHaveLength(1);
    // Waits of at least half of 40, 80 and 160 ms.
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(fake.count("GET", "/api/v1/tasks")).toBe(4);
  });

  test("5xx on every attempt: a retryable TodoistError after a bounded number of tries", async () => {
    const { fake, client } = setup({}, { maxRetries: 3 });
    const user = fake.createUser();
    fake.failNext(10, 500);
    const error = await failure(client.closeTask(user.token, "any"));
    expect(error).toMatchObject({ name: "TodoistError", status: 500, retryable: true, message: "Todoist close task: HTTP 500 (SERVICE_ERROR)" });
    expect(fake.count("POST", "/api/v1/tasks/any/close")).toBe(4);
    // One request id across the retries, so Todoist applies the close at most once.
    const ids = new Set(fake.requests.map((request) => request.headers["x-request-id"]));
    expect(ids.size).toBe(1);
  });

  test("other 4xx answers are not retried", async () => {
    const { fake, client } = setup();
    const user = fake.createUser();
    fake.failNext(1, 422);
    const error = await failure(client.listTasks(user.token));
    expect(error).toMatchObject({ name: "TodoistError", status: 422, retryable: false });
    expect(fake.count("GET", "/api/v1/tasks")).toBe(1);
  });

  test("401 and 403 are TodoistAuthError, at once", async () => {
    const { fake, client } = setup();
    const unknown = await failure(client.listTasks("0123456789abcdef0123456789abcdef01234567"));
    expect(unknown).toBeInstanceOf(TodoistAuthError);
    expect(unknown).toMatchObject({ status: 401, retryable: false, message: "Todoist list tasks: HTTP 401 (AUTH_INVALID_TOKEN)" });

    const reader = fake.createUser({ tasks: [{ content: "a" }], scopes: ["data:read"] });
    const task = fake.activeTasks(reader.id)[0]!;
    expect((await client.listTasks(reader.token)).tasks).toHaveLength(1);
    const forbidden = await failure(client.closeTask(reader.token, task.id));
    expect(forbidden).toBeInstanceOf(TodoistAuthError);
    expect(forbidden.status).toBe(403);
    expect(fake.count("POST", /\/close$/)).toBe(1);
  });

  test("each attempt has a timeout; a slow Todoist fails after the retries", async () => {
    const { fake, client } = setup({}, { timeoutMs: 50, maxRetries: 1 });
    const user = fake.createUser();
    fake.setLatency(400);
    const started = performance.now();
    const error = await failure(client.listTasks(user.token));
    expect(performance.now() - started).toBeLessThan(400);
    expect(error).toMatchObject({ name: "TodoistError", status: null, retryable: true, message: "Todoist list tasks: no answer within 50 ms" });
    expect(fake.count("GET", "/api/v1/tasks")).toBe(2);
  });

  test("a refused connection is a retryable TodoistError naming no URL", async () => {
    const port = freePort();
    const client = new TodoistClient(testConfig({ TODOIST_API_BASE_URL: `http://127.0.0.1:${port}/api/v1` }).todoist, {
      maxRetries: 1,
      retryBaseDelayMs: 1,
    });
    const error = await failure(client.listTasks("token-value"));
    expect(error).toMatchObject({ status: null, retryable: true });
    expect(error.message).toMatch(/^Todoist list tasks: [A-Za-z]+$/);
    expect(error.message).not.toContain(String(port));
  });

  test("the caller's signal cuts a Retry-After wait short", async () => {
    const { fake, client } = setup();
    const user = fake.createUser();
    fake.rateLimitNext(1, 30);
    const controller = new AbortController();
    const started = performance.now();
    setTimeout(() => controller.abort(), 50);
    const outcome = await client.listTasks(user.token, { signal: controller.signal }).catch((error: unknown) => error);
    expect(performance.now() - started).toBeLessThan(1000);
    expect((outcome as Error).name).toBe("AbortError");
  });

  test("traceparent goes out on every attempt and every endpoint", async () => {
    const { fake, client } = setup({ accessTokenLifetimeSeconds: 3600 });
    fake.createUser({ tasks: [{ content: "a" }] });
    const code = (await approve(client.authorizationUrl({ state: "s" }))).get("code")!;
    const options = { traceparent: TRACEPARENT };
    const tokens = await client.exchangeCode(code, options);
    fake.failNext(1, 502);
    const { tasks } = await client.listTasks(tokens.accessToken, options);
    await client.getTask(tokens.accessToken, tasks[0]!.id, options);
    await client.getUser(tokens.accessToken, options);
    await client.closeTask(tokens.accessToken, tasks[0]!.id, options);
    await client.refreshAccessToken(tokens.refreshToken!, options);
    await client.revokeToken(tokens.accessToken, options);
    const outbound = fake.requests.filter((request) => request.path !== "/oauth/authorize");
    expect(outbound).toHaveLength(8);
    expect(outbound.every((request) => request.headers.traceparent === TRACEPARENT)).toBe(true);
  });

  test("no token, code or secret ever appears in an error", async () => {
    const { fake, client } = setup({ accessTokenLifetimeSeconds: 60 }, { timeoutMs: 50, maxRetries: 0, maxRetryAfterMs: 10 });
    const user = fake.createUser();
    const secrets = [user.token, fake.clientSecret, "code-value-1234", "refresh-value-5678"];
    const errors = [
      await failure(client.listTasks(`${user.token}x`)),
      await failure(client.getTask(user.token, "missing")),
      await failure(client.exchangeCode("code-value-1234")),
      await failure(client.refreshAccessToken("refresh-value-5678")),
      await (async () => {
        fake.failNext(1, 500);
        return failure(client.listTasks(user.token));
      })(),
      await (async () => {
        fake.rateLimitNext(1, 60);
        return failure(client.listTasks(user.token));
      })(),
      await (async () => {
        fake.setLatency(200);
        const error = await failure(client.listTasks(user.token));
        fake.setLatency(0);
        return error;
      })(),
    ];
    expect(errors.map((error) => error.name)).toEqual([
      "TodoistAuthError",
      "TodoistNotFoundError",
      "TodoistAuthError",
      "TodoistAuthError",
      "TodoistError",
      "TodoistRateLimitError",
      "TodoistError",
    ]);
    for (const error of errors) {
      const everything = `${error.message}\n${error.stack}\n${Bun.inspect(error)}\n${JSON.stringify(error)}`;
      for (const secret of secrets) expect(everything).not.toContain(secret);
    }
  });
});

describe("odd answers", () => {
  test("any 2xx closes, with or without a body", async () => {
    const { fake, client } = setup();
    const user = fake.createUser();
    fake.respondNext({ status: 200, body: {} });
    await client.closeTask(user.token, "a");
    fake.respondNext({ status: 202 });
    await client.closeTask(user.token, "b");
    expect(fake.count("POST", /\/close$/)).toBe(2);
  });

  test("a body that is not the documented shape is a non-retryable TodoistError", async () => {
    const { fake, client } = setup();
    const user = fake.createUser();
    fake.respondNext({ status: 200, body: { items: [] } });
    expect(await failure(client.listTasks(user.token))).toMatchObject({ message: "Todoist list tasks: unexpected response", retryable: false });
    fake.respondNext({ status: 200, body: { results: [], next_cursor: 7 } });
    expect((await failure(client.listTasks(user.token))).message).toBe("Todoist list tasks: unexpected response");
    fake.respondNext({ status: 200, body: "<html>maintenance</html>" });
    expect((await failure(client.getUser(user.token))).message).toBe("Todoist get user: unexpected response");
    fake.respondNext({ status: 200, body: { token: "x" } });
    expect((await failure(client.exchangeCode("c"))).message).toBe("Todoist exchange code: unexpected response");
    fake.respondNext({ status: 200, body: { access_token: "x", token_type: "mac" } });
    expect((await failure(client.exchangeCode("c"))).message).toBe("Todoist exchange code: unexpected response");
  });

  test("a cursor that comes back again stops the paging instead of looping", async () => {
    const { fake, client } = setup();
    const user = fake.createUser();
    fake.respondNext({ status: 200, body: { results: [], next_cursor: "same" } });
    fake.respondNext({ status: 200, body: { results: [], next_cursor: "same" } });
    expect(await failure(client.listTasks(user.token))).toMatchObject({ message: "Todoist list tasks: the cursor repeated", retryable: true });
  });

  test("an HTML 502 from a proxy is retried like any 5xx, and its text stays out of the message", async () => {
    const { fake, client } = setup({}, { maxRetries: 0 });
    const user = fake.createUser();
    fake.respondNext({ status: 502, body: `<html>Bad gateway for ${user.token}</html>` });
    const error = await failure(client.listTasks(user.token));
    expect(error).toMatchObject({ message: "Todoist list tasks: HTTP 502", status: 502, retryable: true });
  });

  test("Retry-After as an HTTP date, or only in the body, is honoured", async () => {
    const { fake, client } = setup({}, { maxRetryAfterMs: 500 });
    const user = fake.createUser();
    fake.respondNext({ status: 429, headers: { "retry-after": new Date(Date.now() + 10_000).toUTCString() } });
    const error = (await failure(client.listTasks(user.token))) as TodoistRateLimitError;
    expect(error.retryAfterMs).toBeGreaterThan(8000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(10_000);

    fake.respondNext({ status: 429, body: { error_tag: "LIMITS_REACHED", error_extra: { retry_after: 0.3 } } });
    const started = performance.now();
    await client.listTasks(user.token);
    expect(performance.now() - started).toBeGreaterThanOrEqual(295);
  });
});

describe("OAuth", () => {
  test("authorize, exchange the code (form-encoded) for a long-lived token, then use it", async () => {
    const { fake, client } = setup();
    const user = fake.createUser({ tasks: [{ content: "a" }] });
    const url = client.authorizationUrl({ state: "state-123", scopes: ["data:read_write", "data:delete"] });
    const authorize = new URL(url);
    expect(`${authorize.origin}${authorize.pathname}`).toBe(fake.authUrl);
    expect(Object.fromEntries(authorize.searchParams)).toEqual({ client_id: fake.clientId, scope: "data:read_write,data:delete", state: "state-123" });

    const query = await approve(url);
    expect(query.get("state")).toBe("state-123");
    const tokens = await client.exchangeCode(query.get("code")!);
    expect(tokens).toEqual({ accessToken: expect.any(String), refreshToken: null, expiresAt: null });
    expect(fake.userIdOf(tokens.accessToken)).toBe(user.id);

    const exchange = fake.requests.find((request) => request.path === "/oauth/access_token")!;
    expect(exchange.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(Object.fromEntries(new URLSearchParams(exchange.body))).toEqual({
      client_id: fake.clientId,
      client_secret: fake.clientSecret,
      code: query.get("code")!,
    });
    expect((await client.listTasks(tokens.accessToken)).tasks).toHaveLength(1);
  });

  test("a redirect_uri given at authorize must come back with the code", async () => {
    const { fake, client } = setup();
    fake.createUser();
    const redirectUri = "http://localhost:3001/elsewhere";
    const response = await fetch(client.authorizationUrl({ state: "s", redirectUri }), { redirect: "manual" });
    const location = new URL(response.headers.get("location")!);
    expect(`${location.origin}${location.pathname}`).toBe(redirectUri);
    const tokens = await client.exchangeCode(location.searchParams.get("code")!, { redirectUri });
    expect(tokens.accessToken).toBeString();
    expect(new URLSearchParams(fake.requests.at(-1)!.body).get("redirect_uri")).toBe(redirectUri);
  });

  test("a refusal comes back as error=access_denied with the state", async () => {
    const { fake, client } = setup();
    fake.denyNextAuthorization();
    const query = await approve(client.authorizationUrl({ state: "s-9" }));
    expect(Object.fromEntries(query)).toEqual({ state: "s-9", error: "access_denied" });
  });

  test("a code works once; its replay is TodoistAuthError", async () => {
    const { fake, client } = setup();
    fake.createUser();
    const code = (await approve(client.authorizationUrl({ state: "s" }))).get("code")!;
    await client.exchangeCode(code);
    const replay = await failure(client.exchangeCode(code));
    expect(replay).toBeInstanceOf(TodoistAuthError);
    expect(replay.message).toBe("Todoist exchange code: HTTP 400 (invalid_grant)");
  });

  test("a wrong client secret is a configuration error, not a reconnect", async () => {
    const { fake } = setup();
    fake.createUser();
    const misconfigured = new TodoistClient(testConfig({ ...fake.env, TODOIST_CLIENT_SECRET: "wrong" }).todoist);
    const code = (await approve(misconfigured.authorizationUrl({ state: "s" }))).get("code")!;
    const error = await failure(misconfigured.exchangeCode(code));
    expect(error.name).toBe("TodoistError");
    expect(error).toMatchObject({ status: 400, retryable: false, message: "Todoist exchange code: HTTP 400 (invalid_client)" });
  });

  test("expiring tokens: refresh gives a working token; a revoked refresh token is TodoistAuthError", async () => {
    const { fake, client } = setup({ accessTokenLifetimeSeconds: 3600 });
    fake.createUser({ tasks: [{ content: "a" }] });
    const before = Date.now();
    const first = await client.exchangeCode((await approve(client.authorizationUrl({ state: "s" }))).get("code")!);
    expect(first.refreshToken).toBeString();
    expect(first.expiresAt).toBeGreaterThanOrEqual(before + 3600_000);
    expect(first.expiresAt).toBeLessThanOrEqual(Date.now() + 3600_000);

    fake.expireAccessToken(first.accessToken);
    expect(await failure(client.listTasks(first.accessToken))).toBeInstanceOf(TodoistAuthError);

    const second = await client.refreshAccessToken(first.refreshToken!);
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect((await client.listTasks(second.accessToken)).tasks).toHaveLength(1);
    const refresh = Object.fromEntries(new URLSearchParams(fake.requests.at(-2)!.body));
    expect(refresh).toEqual({ client_id: fake.clientId, client_secret: fake.clientSecret, grant_type: "refresh_token", refresh_token: first.refreshToken! });

    await client.revokeToken(second.refreshToken!);
    expect(await failure(client.refreshAccessToken(second.refreshToken!))).toBeInstanceOf(TodoistAuthError);
  });

  test("revoke uses Basic client authentication; the token then gets 401 everywhere", async () => {
    const { fake, client } = setup();
    const user = fake.createUser({ tasks: [{ content: "a" }] });
    const task = fake.activeTasks(user.id)[0]!;
    await client.revokeToken(user.token);

    const revoke = fake.requests.at(-1)!;
    expect(revoke.path).toBe("/api/v1/revoke");
    expect(revoke.headers.authorization).toBe(`Basic ${btoa(`${fake.clientId}:${fake.clientSecret}`)}`);
    expect(Object.fromEntries(new URLSearchParams(revoke.body))).toEqual({ token: user.token, token_type_hint: "access_token" });
    expect(fake.tokenState(user.token)).toBe("revoked");

    const calls = [
      () => client.listTasks(user.token),
      () => client.getTask(user.token, task.id),
      () => client.closeTask(user.token, task.id),
      () => client.getUser(user.token),
    ];
    for (const call of calls) expect(await failure(call())).toMatchObject({ name: "TodoistAuthError", status: 401 });
    // Revoking again is fine (RFC 7009); a wrong client secret is refused.
    await client.revokeToken(user.token);
    const stranger = new TodoistClient(testConfig({ ...fake.env, TODOIST_CLIENT_SECRET: "wrong" }).todoist);
    expect(await failure(stranger.revokeToken(user.token))).toMatchObject({ status: 401 });
  });
});
