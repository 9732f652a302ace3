import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { Events, OAuth2Server } from "oauth2-mock-server";
import { consents, identities, sessions, users } from "../db/schema.ts";
import { BASE, createTestApp, freePort, type TestContext } from "../testing/harness.ts";
import { hashToken } from "./service.ts";

/** A real OAuth 2.0 / OIDC provider over HTTP, standing in for Google. */
let provider: OAuth2Server;
let issuer: string;
const CLIENT_ID = "oo-test-client";

beforeAll(async () => {
  provider = new OAuth2Server();
  await provider.issuer.keys.generate("RS256");
  await provider.start(0, "localhost");
  issuer = provider.issuer.url!;
});
afterAll(() => provider.stop());
afterEach(() => void provider.service.removeAllListeners());

function googleApp(overrides: Record<string, string> = {}) {
  return createTestApp({
    GOOGLE_CLIENT_ID: CLIENT_ID,
    GOOGLE_CLIENT_SECRET: "oo-test-secret",
    GOOGLE_AUTH_URL: `${issuer}/authorize`,
    GOOGLE_TOKEN_URL: `${issuer}/token`,
    GOOGLE_JWKS_URL: `${issuer}/jwks`,
    ...overrides,
  });
}

/** Claims Google puts in its ID tokens; the mock only sets iss, sub, aud and times. */
function idTokenClaims(claims: Record<string, unknown>) {
  provider.service.on(Events.BeforeTokenSigning, (token) => {
    if (token.payload.aud !== undefined) Object.assign(token.payload, claims);
  });
}
const person = (sub: string, email = `${sub}@example.test`) => ({ sub, email, email_verified: true, name: "Ada Lovelace" });

/** The `cookie` request header a browser would send back for these Set-Cookie lines (cleared ones dropped). */
const cookieHeader = (response: Response, ...more: string[]) =>
  [...response.headers.getSetCookie().map((line) => line.split(";")[0]!).filter((pair) => !pair.endsWith("=")), ...more].join("; ");

/** Presses the button on /signin, lets the provider answer, and returns what the browser holds for the callback. */
async function toCallback(context: TestContext, { next = "/", cookie }: { next?: string; cookie?: string } = {}) {
  const login = await context.request("/api/auth/login", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: BASE, ...(cookie ? { cookie } : {}) },
    body: new URLSearchParams({ next }).toString(),
  });
  expect(login.status).toBe(302);
  const authorizeUrl = new URL(login.headers.get("location")!);
  const authorize = await fetch(authorizeUrl, { redirect: "manual" });
  const callback = new URL(authorize.headers.get("location")!);
  return { authorizeUrl, login, callbackPath: callback.pathname + callback.search, flowCookies: cookieHeader(login) };
}

const finish = (context: TestContext, callbackPath: string, cookie: string) => context.request(callbackPath, { headers: { cookie } });

const sessionCount = (context: TestContext) => context.database.db.select().from(sessions).all().length;

/** A failed attempt: back on /signin with a sentence, no session, no account; the log says why. */
async function expectRefused(context: TestContext, response: Response, reason: string, detail?: string) {
  if (detail) expect(context.lines.some((line) => line.msg === "sign-in failed" && String(line.detail).includes(detail))).toBe(true);
  expect(response.status).toBe(303);
  expect(response.headers.get("location")).toBe(`/signin?error=${reason}`);
  expect(response.headers.getSetCookie().some((line) => line.startsWith("sid=") && !line.startsWith("sid=;"))).toBe(false);
  expect(sessionCount(context)).toBe(0);
  expect(context.database.db.select().from(users).all()).toEqual([]);
  const page = await (await context.request(`/signin?error=${reason}`)).text();
  expect(page).toContain('role="alert"');
}

describe("Google sign-in", () => {
  test("authorization code + PKCE S256 with state, then a session for the person named by sub", async () => {
    const context = googleApp();
    idTokenClaims(person("google-sub-1"));
    const { authorizeUrl, login, callbackPath, flowCookies } = await toCallback(context, { next: "/account?tab=push" });

    expect(authorizeUrl.searchParams.get("code_challenge_method")).toBe("S256");
    expect(authorizeUrl.searchParams.get("client_id")).toBe(CLIENT_ID);
    expect(authorizeUrl.searchParams.get("redirect_uri")).toBe(`${BASE}/api/auth/callback`);
    expect(authorizeUrl.searchParams.get("scope")).toBe("openid email profile");
    const flowLines = login.headers.getSetCookie();
    for (const name of ["oauth_state", "oauth_verifier", "oauth_next"]) {
      const line = flowLines.find((candidate) => candidate.startsWith(`${name}=`))!;
      expect(line).toContain("HttpOnly");
      expect(line).toContain("SameSite=Lax");
      expect(line).toContain("Max-Age=600");
    }
    const state = /oauth_state=([^;]+)/.exec(flowCookies)![1]!;
    expect(authorizeUrl.searchParams.get("state")).toBe(state);

    const done = await finish(context, callbackPath, flowCookies);
    expect(done.status).toBe(303);
    expect(done.headers.get("location")).toBe("/account?tab=push");
    const sid = done.headers.getSetCookie().find((line) => line.startsWith("sid="))!;
    expect(sid).toContain("HttpOnly");
    expect(sid).toContain("SameSite=Lax");
    expect(sid).toContain("Path=/");
    expect(done.headers.getSetCookie().filter((line) => line.startsWith("oauth_")).every((line) => line.includes("Max-Age=0"))).toBe(true);

    const [account] = context.database.db.select().from(users).all();
    // The first account through Google is a plain user: only the owner link makes an admin.
    expect(account).toMatchObject({ email: "google-sub-1@example.test", name: "Ada Lovelace", role: "user" });
    expect(context.database.db.select().from(identities).all()).toEqual([
      expect.objectContaining({ provider: "google", subject: "google-sub-1", userId: account!.id, tokenCiphertext: null }),
    ]);
    const consentRows = context.database.db.select().from(consents).where(eq(consents.userId, account!.id)).all();
    expect(consentRows.map((row) => [row.kind, row.version, row.method]).toSorted()).toEqual([
      ["privacy", "2026-11", "implicit_signin"],
      ["terms", "2026-11", "implicit_signin"],
    ]);
    const token = /^sid=([^;]+)/.exec(sid)![1]!;
    const [session] = context.database.db.select().from(sessions).all();
    expect(session).toMatchObject({ tokenHash: hashToken(token), userId: account!.id, kind: "user" });

    const me = await context.request("/api/auth/session", { headers: { cookie: `sid=${token}` } });
    expect(await me.json()).toEqual({ user: { id: account!.id, email: "google-sub-1@example.test", name: "Ada Lovelace", role: "user", timezone: "UTC", timezoneConfirmed: false } });
  });

  test("the same sub is the same person even with a new email; consent is not recorded twice", async () => {
    const context = googleApp();
    idTokenClaims(person("google-sub-2", "old@example.test"));
    const first = await toCallback(context);
    await finish(context, first.callbackPath, first.flowCookies);
    provider.service.removeAllListeners();
    idTokenClaims(person("google-sub-2", "new@example.test"));
    const second = await toCallback(context);
    expect((await finish(context, second.callbackPath, second.flowCookies)).status).toBe(303);

    const accounts = context.database.db.select().from(users).all();
    expect(accounts).toHaveLength(1);
    expect(accounts[0]!.email).toBe("new@example.test");
    expect(context.database.db.select().from(consents).all()).toHaveLength(2);
    expect(sessionCount(context)).toBe(2);
  });

  test("a session cookie planted before sign-in is never reused (no fixation)", async () => {
    const context = googleApp();
    idTokenClaims(person("google-sub-3"));
    const planted = "planted-by-someone-else-0123456789abcdefghijk";
    const { callbackPath, flowCookies } = await toCallback(context, { cookie: `sid=${planted}` });
    const done = await finish(context, callbackPath, `${flowCookies}; sid=${planted}`);
    const issued = /sid=([^;]+)/.exec(done.headers.getSetCookie().find((line) => line.startsWith("sid="))!)![1]!;
    expect(issued).not.toBe(planted);
    expect(context.database.db.select().from(sessions).all().map((row) => row.tokenHash)).toEqual([hashToken(issued)]);
    expect(await (await context.request("/api/auth/session", { headers: { cookie: `sid=${planted}` } })).json()).toEqual({});
  });

  test("only same-site paths are followed after sign-in", async () => {
    for (const next of ["//evil.example/x", "https://evil.example/", "/\\evil.example", "/\t/evil.example"]) {
      const context = googleApp();
      idTokenClaims(person("google-sub-4"));
      const { callbackPath, flowCookies } = await toCallback(context, { next });
      expect((await finish(context, callbackPath, flowCookies)).headers.get("location")).toBe("/");
      provider.service.removeAllListeners();
    }
  });

  test("a state that differs from the browser's, or no state cookie at all, is refused", async () => {
    const context = googleApp();
    idTokenClaims(person("google-sub-5"));
    const { callbackPath, flowCookies } = await toCallback(context);
    const forged = callbackPath.replace(/state=[^&]+/, "state=forged");
    await expectRefused(context, await finish(context, forged, flowCookies), "state");
    const otherBrowser = flowCookies.replace(/oauth_state=[^;]+;?\s*/, "");
    await expectRefused(context, await finish(context, callbackPath, otherBrowser), "state");
  });

  test("an ID token minted for another client is refused", async () => {
    const context = googleApp();
    idTokenClaims({ ...person("google-sub-6"), aud: "another-client" });
    const { callbackPath, flowCookies } = await toCallback(context);
    await expectRefused(context, await finish(context, callbackPath, flowCookies), "token", "another client");
  });

  test("an expired ID token is refused", async () => {
    const context = googleApp();
    idTokenClaims({ ...person("google-sub-7"), exp: Math.floor(Date.now() / 1000) - 600 });
    const { callbackPath, flowCookies } = await toCallback(context);
    await expectRefused(context, await finish(context, callbackPath, flowCookies), "token", "expired");
  });

  test("an ID token from another issuer, with a forged signature, or signed by an unknown key is refused", async () => {
    const context = googleApp();
    idTokenClaims({ ...person("google-sub-8"), iss: "https://evil.example" });
    let attempt = await toCallback(context);
    await expectRefused(context, await finish(context, attempt.callbackPath, attempt.flowCookies), "token", "issuer https://evil.example");

    provider.service.removeAllListeners();
    idTokenClaims(person("google-sub-8"));
    provider.service.once(Events.BeforeResponse, (response) => {
      const body = response.body as { id_token: string };
      const [header, payload, signature] = body.id_token.split(".");
      const claims = JSON.parse(Buffer.from(payload!, "base64url").toString());
      body.id_token = [header, Buffer.from(JSON.stringify({ ...claims, sub: "someone-else" })).toString("base64url"), signature].join(".");
    });
    attempt = await toCallback(context);
    await expectRefused(context, await finish(context, attempt.callbackPath, attempt.flowCookies), "token", "bad signature");

    provider.service.removeAllListeners();
    idTokenClaims(person("google-sub-8"));
    provider.service.on(Events.BeforeTokenSigning, (token) => {
      if (token.payload.aud !== undefined) token.header.kid = "not-a-published-key";
    });
    attempt = await toCallback(context);
    await expectRefused(context, await finish(context, attempt.callbackPath, attempt.flowCookies), "token", "unknown key");
  });

  test("an email Google has not verified is refused", async () => {
    const context = googleApp();
    idTokenClaims({ ...person("google-sub-9"), email_verified: false });
    const { callbackPath, flowCookies } = await toCallback(context);
    await expectRefused(context, await finish(context, callbackPath, flowCookies), "unverified");
  });

  test("a replayed code is refused by the provider and opens no second session", async () => {
    const context = googleApp();
    idTokenClaims(person("google-sub-10"));
    const { callbackPath, flowCookies } = await toCallback(context);
    expect((await finish(context, callbackPath, flowCookies)).status).toBe(303);
    expect(sessionCount(context)).toBe(1);
    const replay = await finish(context, callbackPath, flowCookies);
    expect(replay.headers.get("location")).toBe("/signin?error=exchange");
    expect(sessionCount(context)).toBe(1);
  });

  test("declined consent lands on /signin with a message", async () => {
    const context = googleApp();
    provider.service.once(Events.BeforeAuthorizeRedirect, ({ url }) => {
      url.searchParams.delete("code");
      url.searchParams.set("error", "access_denied");
    });
    const { callbackPath, flowCookies } = await toCallback(context);
    await expectRefused(context, await finish(context, callbackPath, flowCookies), "denied");
    expect(await (await context.request("/signin?error=denied")).text()).toContain("Google sign-in was cancelled");
  });

  test("a provider that errors or cannot be reached: no session, a message", async () => {
    const context = googleApp();
    provider.service.once(Events.BeforeResponse, (response) => {
      response.statusCode = 503;
      response.body = {};
    });
    let attempt = await toCallback(context);
    await expectRefused(context, await finish(context, attempt.callbackPath, attempt.flowCookies), "unavailable");

    const unreachable = googleApp({ GOOGLE_TOKEN_URL: `http://127.0.0.1:${freePort()}/token` });
    attempt = await toCallback(unreachable);
    await expectRefused(unreachable, await finish(unreachable, attempt.callbackPath, attempt.flowCookies), "unavailable");

    const noKeys = googleApp({ GOOGLE_JWKS_URL: `http://127.0.0.1:${freePort()}/jwks` });
    idTokenClaims(person("google-sub-11"));
    attempt = await toCallback(noKeys);
    await expectRefused(noKeys, await finish(noKeys, attempt.callbackPath, attempt.flowCookies), "unavailable");
    expect(await (await noKeys.request("/signin?error=unavailable")).text()).toContain("Google could not be reached");
  });

  test("the callback's code and state never reach the log", async () => {
    const context = googleApp();
    idTokenClaims(person("google-sub-12"));
    const { callbackPath, flowCookies } = await toCallback(context);
    await finish(context, callbackPath, flowCookies);
    await Bun.sleep(5);
    const code = new URLSearchParams(callbackPath.split("?")[1]).get("code")!;
    expect(JSON.stringify(context.lines)).not.toContain(code);
    expect(context.lines.some((line) => line.msg === "signed in")).toBe(true);
  });
});

describe("/signin", () => {
  test("shows the Google button as a form post when configured, and hides it otherwise", async () => {
    const withGoogle = await (await googleApp().request("/signin?next=%2Faccount")).text();
    expect(withGoogle).toContain('<form method="post" action="/api/auth/login">');
    expect(withGoogle).toContain('name="next" value="/account"');
    expect(withGoogle).toContain('href="/legal/terms"');

    const without = createTestApp();
    const page = await (await without.request("/signin")).text();
    expect(page).not.toContain("/api/auth/login");
    // People are told plainly; the operator's way in (the setup link) is in the server's log and the README.
    expect(page).toContain("not open for sign-in yet");
    expect(page).not.toContain("oo admin-link");
    const login = await without.request("/api/auth/login", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "" });
    expect(login.status).toBe(404);
  });

  test("an unknown error code shows no message", async () => {
    const page = await (await createTestApp().request("/signin?error=%3Cscript%3E")).text();
    expect(page).not.toContain('role="alert"');
    expect(page).not.toContain("<script>");
  });
});
