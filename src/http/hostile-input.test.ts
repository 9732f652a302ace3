import { afterAll, describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { Value } from "@sinclair/typebox/value";
import { TODOIST_WEBHOOK_PATH } from "../integrations/index.ts";
import { RecommenderSettingsSchema } from "../recommender/model.ts";
import { signIn, type SignedIn } from "../testing/auth.ts";
import { createTestApp } from "../testing/harness.ts";
import { chunked, rowCounts, settingsForm } from "../testing/requests.ts";
import { isApiPath } from "./errors.ts";
import { MAX_LOGGED_PATH } from "./request-context.ts";

/**
 * Hostile input against every route a client can change state through: every /api route and
 * every route that is not a GET, enumerated from the app itself (a route added later is attacked
 * too, and the first test fails until it has an entry below). Each attempt must be refused with a
 * 4xx (a 400 naming the field for a body of the wrong shape), explained as JSON under /api and as a
 * page elsewhere, with no row written and nothing logged as a server error; afterwards the app
 * still answers /health and a normal request, and memory stays flat.
 */

const WEBHOOK_SECRET = "hostile-input-webhook-secret";
// Todoist and the admin token on, so their routes run their code rather than answer "not set up".
const context = createTestApp({ TODOIST_CLIENT_ID: "hostile-client", TODOIST_CLIENT_SECRET: WEBHOOK_SECRET, ADMIN_TOKEN: "t".repeat(32) });
afterAll(() => context.close());

/** A body as sent: flat for forms; JSON routes may nest one level (a push subscription's keys). */
type Fields = Record<string, string | number | boolean | Record<string, string>>;

interface RouteSpec {
  /** A body its schema accepts (the action may still fail: an unknown tip, a wrong token); absent when the route takes none. */
  body?: Fields;
  /** Under /api, but takes a form: a page's button posts to it. */
  form?: true;
  /** Authenticated by a signature instead of a session: attacked by its own tests below. */
  signed?: true;
  /** Path parameters its schema accepts, where a UUID is not one (a numeric id). */
  params?: Record<string, string>;
}

/** What each route accepts. A route missing here fails the first test. */
const ROUTES: Record<string, RouteSpec> = {
  "POST /api/auth/login": { body: { next: "/" }, form: true },
  "GET /api/auth/callback": {},
  "GET /api/auth/session": {},
  "POST /api/auth/logout": {},
  "POST /signout": {},
  "POST /api/auth/token": { body: { token: "not-the-admin-token" } },
  "POST /admin/login": { body: { token: "not-the-admin-token", next: "/admin" } },
  "POST /setup": { body: { token: "not-a-setup-token" } },
  "GET /api/user/profile": {},
  "PATCH /api/user/profile": { body: { timezone: "UTC", quietHoursStart: "22:00", quietHoursEnd: "08:00", pushOptIn: true } },
  "GET /api/user/export": {},
  "DELETE /api/user": {},
  "POST /account": { body: { timezone: "UTC", quietHoursStart: "22:00", quietHoursEnd: "08:00" } },
  "POST /account/delete": {},
  "POST /api/recommend": {},
  "POST /api/tip/:id/feedback": { body: { action: "done" } },
  "POST /tip/:id/feedback": { body: { action: "done" } },
  "POST /api/tip/:id/undo": {},
  "POST /tip/:id/undo": {},
  "GET /api/integrations": {},
  "POST /api/integrations/todoist/connect": { form: true },
  "GET /api/integrations/todoist/callback": {},
  "DELETE /api/integrations/:provider": {},
  "GET /api/push/key": {},
  "POST /api/push/subscribe": {
    body: {
      endpoint: "https://push.example.test/send/hostile",
      keys: { p256dh: Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 1)]).toString("base64url"), auth: Buffer.alloc(16, 2).toString("base64url") },
    },
  },
  "DELETE /api/push/subscribe": { body: { endpoint: "https://push.example.test/send/hostile" } },
  "POST /api/push/test": {},
  "GET /api/admin/stats": {},
  "GET /api/admin/users": {},
  "GET /api/admin/users/:id": {},
  "POST /api/admin/users/:id/actions": { body: { action: "end-sessions" } },
  "POST /admin/users/:id/actions": { body: { action: "end-sessions" } },
  "GET /api/admin/audit": {},
  "GET /api/admin/backups": {},
  "GET /api/admin/health": {},
  "GET /api/admin/data-quality": {},
  "POST /api/admin/backups": {},
  "GET /api/admin/backups/:name": { params: { name: "oo-20261205T120000Z.db" } },
  "POST /admin/backups": {},
  "GET /api/admin/events": {},
  "GET /api/admin/events/history": {},
  "GET /api/admin/jobs": {},
  "POST /api/admin/jobs/:name/run": {},
  "POST /admin/jobs/:name/run": {},
  "GET /api/admin/logs": {},
  "POST /api/admin/sql": { body: { sql: "SELECT 1" } },
  "POST /admin/sql": { body: { sql: "SELECT 1" } },
  "GET /api/admin/saved-queries": {},
  "POST /api/admin/saved-queries": { body: { name: "One", sql: "SELECT 1" } },
  "DELETE /api/admin/saved-queries/:id": { params: { id: "1" } },
  "POST /admin/saved-queries": { body: { name: "One", sql: "SELECT 1" } },
  "POST /admin/saved-queries/:id/delete": { params: { id: "1" } },
  "GET /api/admin/settings": {},
  "PATCH /api/admin/settings/recommender": { body: { epsilon: 0.2 } },
  "PATCH /api/admin/settings/notifier": { body: { dailyCap: 2 } },
  "PATCH /api/admin/settings/admin": { body: { backupsKept: 5 } },
  "POST /admin/settings/recommender": { body: settingsForm(Value.Default(RecommenderSettingsSchema, {}) as Record<string, unknown>) },
  "POST /admin/settings/notifier": { body: { roundMinutes: "5", scoreThreshold: "0.8", dailyCap: "3" } },
  "POST /admin/settings/admin": { body: { auditRetentionDays: "365", backupsKept: "7" } },
  "POST /connect/todoist/disconnect": {},
  [`POST ${TODOIST_WEBHOOK_PATH}`]: { signed: true },
};

/** Path parameters for a request that reaches the handler. */
const PARAMS: Record<string, string> = { id: crypto.randomUUID(), provider: "todoist" };

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const inScope = ({ method, path }: { method: string; path: string }) => isApiPath(path) || !SAFE_METHODS.has(method);
const routes = context.app.routes.filter(inScope).map(({ method, path }) => ({ method, path, key: `${method} ${path}` }));
type Route = (typeof routes)[number];

interface Attempt {
  label: string;
  path: string;
  init: RequestInit & { headers: Record<string, string> };
  /** Exactly this status; else any 4xx. */
  status?: number;
  /** The field a 400 must name. */
  names?: string;
  /** For noise added to a request the app would answer anyway: the answer it gets without the noise. */
  baseline?: number;
}

const json = (value: unknown) => JSON.stringify(value);
const form = (fields: Fields) => new URLSearchParams(Object.entries(fields).map(([name, value]) => [name, String(value)])).toString();
const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((part) => (typeof part === "string" ? Buffer.from(part) : Buffer.from(part))));
const withParams = (path: string, params: Record<string, string> = PARAMS) => path.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(params[name] ?? "x"));

/** Malformed UTF-8: a stray continuation byte, an overlong "/", an encoded surrogate, a truncated sequence. */
const INVALID_UTF8 = [[0xff, 0xfe], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82]];

const wrongTypes = (value: Fields[string]): unknown[] =>
  typeof value === "string"
    ? [12345, true, null, ["x"], { $ne: "" }, "x".repeat(10_000)]
    : typeof value === "boolean"
      ? ["yes", 1, null, {}, []]
      : typeof value === "number"
        ? [String(value), true, null, [value], { $gt: 0 }, 1e400]
        : ["keys", 1, null, [], { ...value, extra: "x" }];

/** How a route takes its body: JSON under /api, a form elsewhere and for the API routes a page's button posts to. */
function shapeOf(route: Route) {
  const spec = ROUTES[route.key] ?? {};
  const wantsJson = isApiPath(route.path) && !spec.form;
  return {
    example: spec.body ?? {},
    hasBody: !SAFE_METHODS.has(route.method),
    wantsJson,
    type: wantsJson ? "application/json" : "application/x-www-form-urlencoded",
    encode: (fields: Fields) => (wantsJson ? json(fields) : form(fields)),
  };
}
type Shape = ReturnType<typeof shapeOf>;

interface BodyAttack {
  label: string;
  body: BodyInit;
  /** The Content-Type sent; the route's own unless given ("" for none, or the one multipart sets itself). */
  type?: string;
  headers?: Record<string, string>;
  status?: number;
  names?: string;
}

/** Bodies the route must refuse (by their type, their bytes or their shape), each with the answer it must get. */
function bodyAttacks({ example, wantsJson, encode }: Shape): BodyAttack[] {
  const fields = Object.keys(example);
  // Never empty: an empty body with no type is a button's POST, which every route takes.
  const unknown = encode({ ...example, evil: "1" });
  const multipart = new FormData();
  multipart.set("evil", "1");
  const attacks: BodyAttack[] = [
    { label: "unknown field", body: unknown, status: 400, names: "evil" },
    ...INVALID_UTF8.map((sequence) => ({
      label: `invalid UTF-8 ${sequence.map((byte) => byte.toString(16)).join(" ")}`,
      body: wantsJson ? bytes('{"', sequence, '":"', sequence, '"}') : bytes("evil=", sequence),
      status: 400,
    })),
    { label: "10 MB declared", body: unknown, headers: { "content-length": String(10 * 1024 * 1024) }, status: 413 },
    { label: "200 KB chunked with no length", body: chunked(200 * 1024), status: 413 },
    { label: "multipart", body: multipart, type: "", status: 415 },
    { label: "text/plain", body: unknown, type: "text/plain", status: 415 },
    { label: "no content type", body: bytes(unknown), type: "", status: 415 },
    wantsJson
      ? { label: "a form to a JSON API", body: form({ ...example, evil: "1" }), type: "application/x-www-form-urlencoded", status: 415 }
      : { label: "JSON to a form", body: json({ ...example, evil: "1" }), type: "application/json", status: 415 },
  ];
  if (!wantsJson) {
    for (const field of fields) {
      const others = fields.filter((other) => other !== field).map((other) => `${other}=${encodeURIComponent(String(example[other]))}`);
      attacks.push(
        { label: `${field} sent twice`, body: `${encode(example)}&${field}=x`, status: 400, names: field },
        { label: `${field} 10 KB long`, body: encode({ ...example, [field]: "x".repeat(10_000) }), status: 400, names: field },
        { label: `${field} percent-encoded invalid UTF-8`, body: [...others, `${field}=%FF%FE%C0%AF`].join("&") },
      );
    }
    return attacks;
  }
  attacks.push(
    { label: "malformed JSON", body: '{"a":', status: 400 },
    { label: "single-quoted JSON", body: "{'a': 1}", status: 400 },
    { label: "JSON with trailing garbage", body: `${json(example)}}`, status: 400 },
    { label: "an empty JSON body", body: "", status: 400 },
    ...["[]", "42", '"text"', "null", "true", json([example])].map((body) => ({ label: `not an object: ${body.slice(0, 24)}`, body, status: 400 })),
    { label: "unknown field __proto__", body: `{"__proto__":{"role":"admin"}${fields.length ? "," : ""}${json(example).slice(1)}`, status: 400, names: "__proto__" },
    { label: "unknown field constructor", body: json({ ...example, constructor: { prototype: { role: "admin" } } }), status: 400, names: "constructor" },
  );
  for (const field of fields) {
    for (const wrong of wrongTypes(example[field]!)) {
      attacks.push({ label: `${field} as ${json(wrong).slice(0, 24)}`, body: json({ ...example, [field]: wrong }), status: 400, names: field });
    }
  }
  return attacks;
}

const QUERY_KEYS = ["next", "state", "code", "error", "todoist", "token", "saved", "action", "id", "limit", "before", "after"];

/** Noise a request may carry: the app must answer as it would without it (or refuse it), never fail. */
const NOISE: { label: string; query?: string; headers?: Record<string, string> }[] = [
  { label: "10,000 query parameters", query: Array.from({ length: 10_000 }, (_, index) => `p${index}=${index}`).join("&") },
  { label: "a 100 KB query value", query: QUERY_KEYS.map((key) => `${key}=${"q".repeat(100 * 1024)}`).join("&") },
  { label: "repeated query keys", query: `${QUERY_KEYS.flatMap((key) => [`${key}=a`, `${key}=b`]).join("&")}&${"k=1&".repeat(1000)}k=2` },
  { label: "percent junk and non-ASCII in the query", query: "next=%FF%FE&state=%00&code=%E2%82&%F0%9F%98%80=%F0%9F%98%80&error=%&todoist=%C3%A9" },
  { label: "numbers that are not whole, below range or past it", query: "limit=2.5&before=1.5&after=-1&saved=0.5&id=1.5" },
  { label: "a number too large for any column", query: "limit=1e400&before=99999999999999999999999&after=1e308&saved=-0" },
  { label: "a 16 KB cookie", headers: { cookie: `junk=${"c".repeat(16 * 1024)}` } },
  { label: "a malformed cookie", headers: { cookie: "junk=%E0%A4%A; =; ;;; sid; oauth_state=%" } },
  { label: "a 16 KB traceparent", headers: { traceparent: `00-${"a".repeat(16 * 1024)}-${"b".repeat(16)}-01` } },
  { label: "non-ASCII header values", headers: { "user-agent": "Mozilla/5.0 (ñé ÿ)", "accept-language": "fr-ÇÀ", referer: "http://localhost:3001/é?ÿ=ñ", traceparent: "00-é-ÿ-01" } },
  { label: "a 16 KB Referer", headers: { referer: `http://localhost:3001/${"r".repeat(16 * 1024)}` } },
  { label: "500 extra headers", headers: Object.fromEntries(Array.from({ length: 500 }, (_, index) => [`x-junk-${index}`, "j".repeat(100)])) },
];

/** Hostile path parameters: too long, climbing out, NUL, broken percent-encoding. */
const HOSTILE_PARAMS = ["p".repeat(10_000), "../../../etc/passwd", "..", "\0", "tip\0id", "%", "é😀"];

/** Every attempt against one route, signed in as `person` and signed out. */
async function attempts(route: Route, person: SignedIn): Promise<Attempt[]> {
  const shape = shapeOf(route);
  const { hasBody, example } = shape;
  const path = withParams(route.path, { ...PARAMS, ...ROUTES[route.key]?.params });
  const list: Attempt[] = [];
  const headersFor = (who: SignedIn | null, headers: Record<string, string> = {}): Record<string, string> => ({
    ...headers,
    cookie: [who?.cookie, headers.cookie].filter(Boolean).join("; "),
  });
  /** The route's request with these fields as its body (in its own type), or with none for a GET. */
  const sending = (headers: Record<string, string>, fields: Fields) =>
    hasBody ? { method: route.method, headers: { ...headers, "content-type": shape.type }, body: shape.encode(fields) } : { method: route.method, headers };

  for (const who of [person, null]) {
    const as = who ? "signed in" : "signed out";
    if (hasBody) {
      for (const attack of bodyAttacks(shape)) {
        const headers = headersFor(who, attack.headers);
        const type = attack.type ?? shape.type;
        if (type) headers["content-type"] = type;
        // Signed out, an API may refuse first for want of a session.
        list.push({ label: `${as}: ${attack.label}`, path, init: { method: route.method, headers, body: attack.body }, ...(who && { status: attack.status, names: attack.names }) });
      }
    }
    // The noise rides on a request that is refused (signed in: an unknown field) or that the app
    // answers anyway (a GET, or a valid body with no session), and must not change that answer.
    const refused = who !== null && hasBody;
    const fields = refused ? { ...example, evil: "1" } : example;
    const baseline = refused ? undefined : (await context.request(path, sending(headersFor(who), fields))).status;
    for (const noise of NOISE) {
      list.push({
        label: `${as}: ${noise.label}`,
        path: noise.query ? `${path}?${noise.query}` : path,
        init: sending(headersFor(who, noise.headers), fields),
        ...(refused ? { status: 400, names: "evil" } : { baseline }),
      });
    }
    list.push({ label: `${as}: the Host of another site`, path, init: sending({ ...headersFor(who), host: "evil.example" }, fields), status: 421 });
  }

  // The path itself, with a valid body: hostile parameters, a NUL, a climb past the route, a long tail.
  const valid = (target: string): Attempt => ({ label: `path ${target.slice(0, 60)}`, path: target, init: sending(headersFor(person), example) });
  for (const [, name] of route.path.matchAll(/:(\w+)/g)) {
    for (const value of HOSTILE_PARAMS) list.push(valid(withParams(route.path, { ...PARAMS, ...ROUTES[route.key]?.params, [name!]: value })));
  }
  list.push(valid(`${path}%00`), valid(`${path}/..%2F..%2F..%2Fetc%2Fpasswd`), valid(`${path}/${"s".repeat(10_000)}`));
  return list;
}

/** What is wrong with the answer to one attempt, or undefined. */
async function problem(attempt: Attempt, response: Response): Promise<string | undefined> {
  const { status } = response;
  const text = await response.text();
  const what = `${attempt.init.method} ${attempt.path.slice(0, 80)} (${attempt.label}) answered ${status}`;
  if (status >= 500) return `${what}: a server error`;
  if (attempt.baseline !== undefined && status < 400) {
    return status === attempt.baseline ? undefined : `${what}, ${attempt.baseline} without the noise`;
  }
  if (attempt.status !== undefined ? status !== attempt.status : status < 400) {
    // Signed out, a page sends the person to sign in: refused too, and nothing ran.
    const toSignIn = status === 303 && /^\/(signin|admin\/login)\b/.test(response.headers.get("location") ?? "");
    if (attempt.status !== undefined || !toSignIn) return `${what}, expected ${attempt.status ?? "a 4xx"}`;
  }
  if (status < 400) return undefined;
  const type = response.headers.get("content-type") ?? "";
  if (isApiPath(new URL(attempt.path, "http://x").pathname)) {
    let error: { code?: unknown; message?: unknown } | undefined;
    try {
      error = (JSON.parse(text) as { error?: typeof error }).error;
    } catch {}
    if (!type.includes("application/json") || typeof error?.code !== "string" || typeof error.message !== "string") return `${what} without a JSON error: ${text.slice(0, 80)}`;
    if (attempt.names && !error.message.includes(attempt.names)) return `${what}: "${error.message}" does not name ${attempt.names}`;
  } else {
    if (!type.includes("text/html")) return `${what} without a page: ${type}`;
    if (attempt.names && status === 400 && !text.includes(attempt.names)) return `${what}: the page does not name ${attempt.names}`;
  }
  return undefined;
}

let sent = 0;

/** Sends every attempt against one route; returns what went wrong. */
async function attack(route: Route): Promise<string[]> {
  const person = signIn(context.database);
  const profile = await (await context.request("/api/user/profile", { headers: { cookie: person.cookie } })).json();
  const failures: string[] = [];
  for (const attempt of await attempts(route, person)) {
    const before = rowCounts(context);
    const response = await context.request(attempt.path, attempt.init);
    sent++;
    const wrong = await problem(attempt, response);
    // A turn of the event loop, as a server gets between requests: the after-response hooks (the log line) run.
    await new Promise((resolve) => setImmediate(resolve));
    if (wrong) failures.push(wrong);
    const after = rowCounts(context);
    const changed = Object.keys(after).filter((table) => after[table] !== before[table]);
    if (changed.length) failures.push(`${attempt.init.method} ${attempt.path.slice(0, 80)} (${attempt.label}) wrote to ${changed.join(", ")}`);
  }
  // Still up, and the person's session and profile are as they were.
  const health = await context.request("/health");
  if (health.status !== 200) failures.push(`/health answered ${health.status} after ${route.key}`);
  const normal = await context.request("/api/user/profile", { headers: { cookie: person.cookie } });
  if (normal.status !== 200) failures.push(`a normal request answered ${normal.status} after ${route.key}`);
  else if (json(await normal.json()) !== json(profile)) failures.push(`the profile changed under ${route.key}`);
  return failures;
}

/** Errors logged since the last look (the scorer's absence at the start is this app's setup, not an attack's doing). */
let errorsSeen = context.lines.length;
const serverErrors = () => {
  const errors = context.lines.slice(errorsSeen).filter((line) => line.level === "error" || line.level === "fatal");
  errorsSeen = context.lines.length;
  return errors.map((line) => String(line.msg));
};
/** Request log lines that carry more of the path than the log keeps. */
const longLogLines = () => context.lines.filter((line) => String(line.path ?? "").length > MAX_LOGGED_PATH + 32).map((line) => String(line.path).slice(0, 80));

describe("hostile input", () => {
  test("every /api route and every route that changes state is attacked (add new ones to ROUTES)", () => {
    const keys = routes.map((route) => route.key).sort();
    expect(keys).toEqual(Object.keys(ROUTES).sort());
  });

  for (const route of routes.filter((route) => !ROUTES[route.key]?.signed)) {
    test(`${route.key}: refused with a 4xx that says why, nothing written, the app still answers`, async () => {
      expect(await attack(route)).toEqual([]);
      expect(serverErrors()).toEqual([]);
      expect(longLogLines()).toEqual([]);
    });
  }

  test("memory stays flat over a few hundred more hostile requests", async () => {
    const attacked = routes.filter((route) => !ROUTES[route.key]?.signed);
    const round = async () => {
      for (const route of attacked) expect(await attack(route)).toEqual([]);
      expect(serverErrors()).toEqual([]);
      // The test's own logger keeps every line it is given; the app's memory is what is measured.
      context.lines.length = 0;
      errorsSeen = 0;
      Bun.gc(true);
      return process.memoryUsage().rss;
    };
    // A first round pays what only the first requests pay (routes compiled, code optimized, arenas grown).
    const start = await round();
    const before = sent;
    const growth = (await round()) - start;
    expect(sent - before).toBeGreaterThan(300);
    expect(growth).toBeLessThan(50 * 1024 * 1024);
  }, 60_000);
});

describe("the Todoist webhook under hostile input", () => {
  const sign = (body: string | Uint8Array, secret = WEBHOOK_SECRET) => createHmac("sha256", secret).update(body).digest("base64");
  const deliver = (body: BodyInit, headers: Record<string, string> = {}, query = "") =>
    context.request(`${TODOIST_WEBHOOK_PATH}${query}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
  const junk = ['{"a":', "[]", "42", "null", "{}", '{"event_name":5,"user_id":"1","event_data":{}}', '{"event_name":"item:added","user_id":{"$gt":""},"event_data":{}}'];

  async function expectRefused(response: Response, status: number, code?: string) {
    expect(response.status).toBe(status);
    const { error } = (await response.json()) as { error: { code: string; message: string } };
    if (code) expect(error.code).toBe(code);
    expect(error.message.length).toBeGreaterThan(0);
  }

  test("unsigned or badly signed: 401; over 1 MB: 413; signed junk: 400; nothing stored", async () => {
    const before = rowCounts(context);
    for (const body of [...junk, "garbage"]) await expectRefused(await deliver(body), 401, "bad_signature");
    for (const signature of ["AAAA", "!!!not base64!!!", "s".repeat(16 * 1024), sign("{}", "another-secret"), ` ${sign("{}")}x`]) {
      await expectRefused(await deliver("{}", { "x-todoist-hmac-sha256": signature }), 401, "bad_signature");
    }
    const big = "x".repeat(2 * 1024 * 1024);
    await expectRefused(await deliver("{}", { "content-length": String(2 * 1024 * 1024), "x-todoist-hmac-sha256": sign("{}") }), 413, "too_large");
    await expectRefused(await deliver(chunked(2 * 1024 * 1024), { "x-todoist-hmac-sha256": sign(big) }), 413, "too_large");
    for (const body of junk) await expectRefused(await deliver(body, { "x-todoist-hmac-sha256": sign(body) }), 400, "invalid_body");
    for (const sequence of INVALID_UTF8) {
      const body = bytes('{"event_name":"', sequence, '","user_id":"1","event_data":{}}');
      // Signed over the bytes as sent: the signature holds, the body is still refused.
      await expectRefused(await deliver(body, { "x-todoist-hmac-sha256": sign(body) }), 400, "invalid_body");
    }
    // Whatever the content type or the noise around it, signed junk is junk.
    const body = junk[0]!;
    const signed = { "x-todoist-hmac-sha256": sign(body) };
    await expectRefused(await deliver(body, { ...signed, "content-type": "text/plain" }), 400, "invalid_body");
    await expectRefused(await deliver(body, { ...signed, "content-type": "application/x-www-form-urlencoded" }), 400, "invalid_body");
    for (const noise of NOISE) await expectRefused(await deliver(body, { ...signed, ...noise.headers }, noise.query ? `?${noise.query}` : ""), 400, "invalid_body");
    await expectRefused(await deliver(body, { ...signed, "x-todoist-delivery-id": "d".repeat(16 * 1024) }), 400, "invalid_body");
    await expectRefused(await deliver(body, { ...signed, host: "evil.example" }), 421, "unknown_host");
    expect(rowCounts(context)).toEqual(before);
    expect(serverErrors()).toEqual([]);
    expect((await context.request("/health")).status).toBe(200);
  });
});
