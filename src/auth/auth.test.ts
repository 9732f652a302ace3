import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { consents, sessions, setupTokens, users } from "../db/schema.ts";
import { AppError } from "../errors.ts";
import { FailureLimiter } from "../http/rate-limit.ts";
import { signIn } from "../testing/auth.ts";
import { BASE, createTestApp, freePort, migratedDatabase, type TestContext, tempDir } from "../testing/harness.ts";
import { findOwner } from "../user/queries.ts";
import {
  hashToken,
  issueSetupLink,
  isSetupTokenUsable,
  SESSION_LIFETIME_MS,
  SessionStore,
  SETUP_LINK_LIFETIME_MS,
  signInWithAdminToken,
} from "./service.ts";

const MAIN = join(import.meta.dir, "..", "main.ts");
const form = (fields: Record<string, string>, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
  body: new URLSearchParams(fields).toString(),
});
const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});
const issuedSid = (response: Response) => /^sid=([^;]+)/.exec(response.headers.getSetCookie().find((line) => line.startsWith("sid=")) ?? "")?.[1];
const sessionOf = async (context: TestContext, token: string) =>
  (await (await context.request("/api/auth/session", { headers: { cookie: `sid=${token}` } })).json()) as { user?: { id: string; [field: string]: unknown } };
const tokenOf = (link: string) => new URL(link).searchParams.get("token")!;

describe("sessions", () => {
  test("logout deletes the session and clears the cookie; the old token is worthless at once", async () => {
    const context = createTestApp();
    const person = signIn(context.database);
    const out = await context.request("/api/auth/logout", { method: "POST", headers: { cookie: person.cookie } });
    expect(out.status).toBe(200);
    expect(out.headers.getSetCookie()[0]).toMatch(/^sid=; Max-Age=0; Path=\//);
    expect(context.database.db.select().from(sessions).all()).toEqual([]);
    expect(await sessionOf(context, person.token)).toEqual({});
    expect((await context.request("/account", { headers: { cookie: person.cookie } })).status).toBe(303);

    const again = signIn(context.database);
    const page = await context.request("/signout", { method: "POST", headers: { cookie: again.cookie } });
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toBe("/signin?notice=signed-out");
    expect(await sessionOf(context, again.token)).toEqual({});
  });

  test("a cross-site logout is refused and the session survives", async () => {
    const context = createTestApp();
    const person = signIn(context.database);
    const response = await context.request("/api/auth/logout", { method: "POST", headers: { cookie: person.cookie, origin: "https://evil.example" } });
    expect(response.status).toBe(403);
    expect((await sessionOf(context, person.token)).user?.id).toBe(person.userId);
  });

  test("/api/auth/session answers { user } or {}, refuses expired sessions, and slides long-lived ones", async () => {
    const context = createTestApp();
    expect(await (await context.request("/api/auth/session")).json()).toEqual({});
    const person = signIn(context.database, { timezone: "Europe/Berlin" });
    expect(await sessionOf(context, person.token)).toEqual({
      user: { id: person.userId, email: expect.any(String), name: "Test Person", role: "user", timezone: "Europe/Berlin", timezoneConfirmed: true },
    });

    const hash = hashToken(person.token);
    const halfLife = Date.now() + SESSION_LIFETIME_MS.user / 2 - 60_000;
    context.database.db.update(sessions).set({ expiresAt: halfLife }).where(eq(sessions.tokenHash, hash)).run();
    const renewed = await context.request("/api/auth/session", { headers: { cookie: person.cookie } });
    expect(issuedSid(renewed)).toBe(person.token);
    expect(context.database.db.select().from(sessions).where(eq(sessions.tokenHash, hash)).get()!.expiresAt).toBeGreaterThan(
      Date.now() + SESSION_LIFETIME_MS.user - 60_000,
    );

    context.database.db.update(sessions).set({ expiresAt: Date.now() - 1 }).where(eq(sessions.tokenHash, hash)).run();
    const expired = await context.request("/api/auth/session", { headers: { cookie: person.cookie } });
    expect(await expired.json()).toEqual({});
    expect(expired.headers.getSetCookie()[0]).toContain("Max-Age=0");
    expect(context.database.db.select().from(sessions).all()).toEqual([]);
  });

  test("the admin console's list shows live sessions without tokens; revoking by hash ends one at once", async () => {
    const context = createTestApp();
    const store = new SessionStore(context.database.db);
    const alice = signIn(context.database, { email: "alice@example.test" });
    const bob = signIn(context.database, { email: "bob@example.test" });
    const stale = signIn(context.database);
    context.database.db.update(sessions).set({ expiresAt: Date.now() - 1 }).where(eq(sessions.tokenHash, hashToken(stale.token))).run();

    const listed = store.list();
    expect(listed.map((session) => session.email).toSorted()).toEqual(["alice@example.test", "bob@example.test"]);
    expect(listed[0]).toEqual({
      tokenHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      userId: expect.any(String),
      email: expect.any(String),
      kind: "user",
      createdAt: expect.any(Number),
      lastSeenAt: expect.any(Number),
      expiresAt: expect.any(Number),
      userAgent: null,
    });
    expect(JSON.stringify(listed)).not.toContain(alice.token);

    expect(store.deleteByHash(hashToken(alice.token))).toBe(true);
    expect((await context.request("/api/user/profile", { headers: { cookie: alice.cookie } })).status).toBe(401);
    expect((await context.request("/api/user/profile", { headers: { cookie: bob.cookie } })).status).toBe(200);
    expect(store.purgeExpired()).toBe(1);
  });

  test("last_seen_at follows use, at most once an hour", () => {
    const context = createTestApp();
    const store = new SessionStore(context.database.db);
    const person = signIn(context.database);
    const hash = hashToken(person.token);
    const lastSeen = () => context.database.db.select().from(sessions).where(eq(sessions.tokenHash, hash)).get()!.lastSeenAt;
    const created = lastSeen();
    store.validate(person.token, created + 30 * 60_000);
    expect(lastSeen()).toBe(created);
    store.validate(person.token, created + 61 * 60_000);
    expect(lastSeen()).toBe(created + 61 * 60_000);
  });

  test("the raw session token is never written to the database file", async () => {
    const dir = tempDir();
    try {
      const path = join(dir.path, "oo.db");
      const context = createTestApp({ ADMIN_TOKEN: "admin-secret-value-0123456789" }, path);
      const link = issueSetupLink(context.database.db, context.config.apiBaseUrl);
      const viaLink = issuedSid(await context.request("/setup", form({ token: tokenOf(link) })))!;
      const viaToken = issuedSid(await context.request("/api/auth/token", json({ token: "admin-secret-value-0123456789" })))!;
      for (const token of [viaLink, viaToken]) expect((await sessionOf(context, token)).user).toBeDefined();

      const bytes = ["oo.db", "oo.db-wal"]
        .map((name) => join(dir.path, name))
        .filter(existsSync)
        .map((file) => readFileSync(file).toString("latin1"))
        .join("");
      // The hashes are there (so these are the right bytes); the tokens and the setup link are not.
      expect(bytes).toContain(hashToken(viaLink));
      for (const secret of [viaLink, viaToken, tokenOf(link), "admin-secret-value-0123456789"]) expect(bytes).not.toContain(secret);
      context.database.sqlite.close();
    } finally {
      dir.cleanup();
    }
  });

  test("cookies are Secure when API_BASE_URL is https", async () => {
    const context = createTestApp({ API_BASE_URL: "https://oo.example" });
    const token = tokenOf(issueSetupLink(context.database.db, context.config.apiBaseUrl));
    const response = await context.request("/setup", form({ token }));
    expect(response.headers.getSetCookie()[0]).toMatch(/^sid=[^;]+;.*Secure/);
  });
});

describe("admin token", () => {
  const ADMIN_TOKEN = "correct horse battery staple";

  test("the right token opens a 24-hour admin session on the owner account", async () => {
    const context = createTestApp({ ADMIN_TOKEN });
    const response = await context.request("/api/auth/token", json({ token: ADMIN_TOKEN }));
    expect(response.status).toBe(200);
    const body = (await response.json()) as { user: { id: string; role: string } };
    expect(body.user.role).toBe("admin");
    expect(findOwner(context.database.db)).toBe(body.user.id);
    const token = issuedSid(response)!;
    const row = context.database.db.select().from(sessions).where(eq(sessions.tokenHash, hashToken(token))).get()!;
    expect(row.kind).toBe("admin_token");
    expect(row.expiresAt - row.createdAt).toBe(SESSION_LIFETIME_MS.admin_token);

    // The owner already exists: the next token session is theirs too, not a second admin.
    const again = await context.request("/api/auth/token", json({ token: ADMIN_TOKEN }));
    expect(((await again.json()) as { user: { id: string } }).user.id).toBe(body.user.id);
    expect(context.database.db.select().from(users).all()).toHaveLength(1);
  });

  test("a wrong token is 401 and opens nothing", async () => {
    const context = createTestApp({ ADMIN_TOKEN });
    for (const token of ["wrong", `${ADMIN_TOKEN} `, ADMIN_TOKEN.slice(0, -1), ""]) {
      const response = await context.request("/api/auth/token", json({ token }));
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("invalid_admin_token");
      expect(issuedSid(response)).toBeUndefined();
    }
    expect(context.database.db.select().from(sessions).all()).toEqual([]);
    expect(context.database.db.select().from(users).all()).toEqual([]);
  });

  test("with ADMIN_TOKEN empty, token sign-in is off", async () => {
    const context = createTestApp();
    const response = await context.request("/api/auth/token", json({ token: "" }));
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ error: { code: "admin_token_disabled", message: expect.stringContaining("ADMIN_TOKEN") } });
    expect(await (await context.request("/admin/login")).text()).toContain("Token sign-in is off");
  });

  test("five wrong tokens, then 429 with Retry-After; the right token still signs in and clears the count", async () => {
    const context = createTestApp({ ADMIN_TOKEN });
    for (let attempt = 0; attempt < 5; attempt++) {
      expect((await context.request("/api/auth/token", json({ token: `guess-${attempt}` }))).status).toBe(401);
    }
    const limited = await context.request("/api/auth/token", json({ token: "guess-5" }));
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("2");
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe("rate_limited");
    const page = await context.request("/admin/login", form({ token: "guess-6" }));
    expect(page.status).toBe(429);
    expect(page.headers.get("retry-after")).toBe("4");
    expect(context.database.db.select().from(sessions).all()).toEqual([]);

    // The owner, blocked with everyone else on this address, is never locked out.
    const right = await context.request("/api/auth/token", json({ token: ADMIN_TOKEN }));
    expect(right.status).toBe(200);
    expect((await context.request("/admin/login", form({ token: ADMIN_TOKEN }))).status).toBe(303);
    // ...and a success starts the count afresh.
    expect((await context.request("/api/auth/token", json({ token: "typo" }))).status).toBe(401);
  });

  test("past the ceiling on wrong tokens from everyone, wrong ones get 429 and the right one still signs in", () => {
    const { db } = migratedDatabase();
    const limiter = new FailureLimiter({ freeFailures: 5, firstDelayMs: 1000, maxDelayMs: 60_000, globalFailures: 3, globalWindowMs: 60_000 });
    const attempt = (token: string, client: string) => {
      try {
        return signInWithAdminToken(db, ADMIN_TOKEN, limiter, token, client);
      } catch (error) {
        return error instanceof AppError ? `${error.kind} ${error.retryAfterSeconds ?? ""}`.trim() : error;
      }
    };
    for (const client of ["a", "b", "c"]) expect(attempt("wrong", client)).toBe("unauthenticated");
    expect(attempt("wrong", "d")).toBe("rate_limited 60");
    expect(attempt(ADMIN_TOKEN, "d")).toBe(findOwner(db)!);
  });

  describe("over a real socket, keyed by the client address", () => {
    /** The app listening on a port, so the handlers see the socket peer (127.0.0.1). */
    const listening = (env: Record<string, string>) => {
      const context = createTestApp({ ADMIN_TOKEN, ...env });
      context.app.listen({ port: 0, hostname: "127.0.0.1" });
      const url = `http://127.0.0.1:${context.app.server!.port}/api/auth/token`;
      const attempt = async (token: string, forwarded: Record<string, string> = {}) => (await fetch(url, json({ token }, forwarded))).status;
      return { attempt, stop: () => context.app.stop(true) };
    };
    const blockFive = async (attempt: (token: string, headers?: Record<string, string>) => Promise<number>, headers: Record<string, string>) => {
      for (let guess = 0; guess < 5; guess++) expect(await attempt(`guess-${guess}`, headers)).toBe(401);
    };

    test("X-Forwarded-For and Forwarded from an untrusted peer are ignored", async () => {
      const { attempt, stop } = listening({});
      try {
        await blockFive(attempt, { "x-forwarded-for": "198.51.100.1" });
        expect(await attempt("guess", { "x-forwarded-for": "198.51.100.2" })).toBe(429);
        expect(await attempt("guess", { forwarded: "for=198.51.100.3" })).toBe(429);
        expect(await attempt(ADMIN_TOKEN, { "x-forwarded-for": "198.51.100.2" })).toBe(200);
      } finally {
        await stop();
      }
    });

    test("from a peer in TRUSTED_PROXIES, the right-most hop that is not a proxy is the client", async () => {
      const { attempt, stop } = listening({ TRUSTED_PROXIES: "127.0.0.1, 10.0.0.0/8" });
      try {
        await blockFive(attempt, { "x-forwarded-for": "198.51.100.1" });
        expect(await attempt("guess", { "x-forwarded-for": "198.51.100.1" })).toBe(429);
        // A client that writes its own header does not escape: the proxy appended its address.
        expect(await attempt("guess", { "x-forwarded-for": "203.0.113.9, 198.51.100.1, 10.0.0.5" })).toBe(429);
        expect(await attempt("guess", { forwarded: 'for="[2001:db8::1]:4711", for=10.0.0.5' })).toBe(401);
        expect(await attempt("guess", { "x-forwarded-for": "198.51.100.2" })).toBe(401);
        expect(await attempt(ADMIN_TOKEN, { "x-forwarded-for": "198.51.100.1" })).toBe(200);
        expect(await attempt("guess", { "x-forwarded-for": "198.51.100.1" })).toBe(401);
      } finally {
        await stop();
      }
    });
  });

  test("/admin/login works as a plain form: back to next or /admin, or the page again with a message", async () => {
    const context = createTestApp({ ADMIN_TOKEN });
    const page = await (await context.request("/admin/login?next=%2Fadmin%2Fjobs")).text();
    expect(page).toContain('<form method="post" action="/admin/login">');
    expect(page).toContain('value="/admin/jobs"');

    const wrong = await context.request("/admin/login", form({ token: "nope", next: "/admin/jobs" }));
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain("That is not the admin token.");

    const right = await context.request("/admin/login", form({ token: ADMIN_TOKEN, next: "/admin/jobs" }));
    expect(right.status).toBe(303);
    expect(right.headers.get("location")).toBe("/admin/jobs");
    expect((await sessionOf(context, issuedSid(right)!)).user).toBeDefined();
    const offsite = await context.request("/admin/login", form({ token: ADMIN_TOKEN, next: "//evil.example" }));
    expect(offsite.headers.get("location")).toBe("/admin");
  });
});

describe("owner setup link", () => {
  test("GET shows a confirmation and changes nothing; POST creates the owner, signs in, records consent", async () => {
    const context = createTestApp();
    const link = issueSetupLink(context.database.db, context.config.apiBaseUrl);
    expect(link).toStartWith(`${BASE}/setup?token=`);

    const confirm = await context.request(new URL(link).pathname + new URL(link).search);
    expect(confirm.status).toBe(200);
    expect(confirm.headers.get("referrer-policy")).toBe("no-referrer");
    const page = await confirm.text();
    expect(page).toContain('<form method="post" action="/setup">');
    expect(page).toContain("Create the owner account");
    expect(context.database.db.select().from(users).all()).toEqual([]);
    expect(context.database.db.select().from(setupTokens).get()!.usedAt).toBeNull();

    const planted = "planted-session-token-that-must-not-be-promoted-0";
    const created = await context.request("/setup", form({ token: tokenOf(link) }, { cookie: `sid=${planted}` }));
    expect(created.status).toBe(303);
    expect(created.headers.get("location")).toBe("/admin");
    const sid = issuedSid(created)!;
    expect(sid).not.toBe(planted);
    const me = await sessionOf(context, sid);
    expect(me.user).toMatchObject({ role: "admin", name: "Owner" });
    expect(context.database.db.select().from(sessions).get()!.kind).toBe("setup");
    const consentKinds = context.database.db.select().from(consents).all().map((row) => `${row.kind}:${row.method}`);
    expect(consentKinds.toSorted()).toEqual(["privacy:implicit_signin", "terms:implicit_signin"]);
  });

  test("a link works once", async () => {
    const context = createTestApp();
    const token = tokenOf(issueSetupLink(context.database.db, context.config.apiBaseUrl));
    expect((await context.request("/setup", form({ token }))).status).toBe(303);
    const reused = await context.request("/setup", form({ token }));
    expect(reused.status).toBe(410);
    expect(issuedSid(reused)).toBeUndefined();
    expect(await reused.text()).toContain("expired or was already used");
    expect((await context.request(`/setup?token=${token}`)).status).toBe(410);
    expect(context.database.db.select().from(sessions).all()).toHaveLength(1);
    expect(context.database.db.select().from(users).all()).toHaveLength(1);
  });

  test("a link expires after an hour, and a newer link replaces an older one", async () => {
    const context = createTestApp();
    const { db } = context.database;
    const old = tokenOf(issueSetupLink(db, context.config.apiBaseUrl, Date.now() - SETUP_LINK_LIFETIME_MS - 1000));
    expect((await context.request(`/setup?token=${old}`)).status).toBe(410);
    expect((await context.request("/setup", form({ token: old }))).status).toBe(410);

    const first = tokenOf(issueSetupLink(db, context.config.apiBaseUrl));
    const second = tokenOf(issueSetupLink(db, context.config.apiBaseUrl));
    expect(isSetupTokenUsable(db, first)).toBe(false);
    expect(isSetupTokenUsable(db, second)).toBe(true);
    expect(context.database.db.select().from(users).all()).toEqual([]);
  });

  test("once an owner exists, a fresh link signs in as that owner (recovery)", async () => {
    const context = createTestApp();
    const owner = signIn(context.database, { role: "admin" });
    const token = tokenOf(issueSetupLink(context.database.db, context.config.apiBaseUrl));
    expect(await (await context.request(`/setup?token=${token}`)).text()).toContain("Sign in as the owner");
    const response = await context.request("/setup", form({ token }));
    expect((await sessionOf(context, issuedSid(response)!)).user?.id).toBe(owner.userId);
    expect(context.database.db.select().from(users).all()).toHaveLength(1);
  });

  test("the setup token never reaches the request log", async () => {
    const context = createTestApp();
    const token = tokenOf(issueSetupLink(context.database.db, context.config.apiBaseUrl));
    await context.request(`/setup?token=${token}`);
    await Bun.sleep(5);
    expect(JSON.stringify(context.lines)).not.toContain(token);
  });
});

describe("owner link from the command line and at boot", () => {
  const env = (dataDir: string, extra: Record<string, string> = {}) => ({ PATH: process.env.PATH!, DATA_DIR: dataDir, ...extra });

  test("oo admin-link prints a fresh, working link", async () => {
    const dir = tempDir();
    try {
      const result = Bun.spawnSync(["bun", MAIN, "admin-link"], { env: env(dir.path, { API_BASE_URL: "https://oo.example" }), stdout: "pipe", stderr: "pipe" });
      expect(result.exitCode).toBe(0);
      // The link is the last line; a first boot also logs its migrations before it.
      const link = result.stdout.toString().trim().split("\n").at(-1)!;
      expect(link).toMatch(/^https:\/\/oo\.example\/setup\?token=[A-Za-z0-9_-]{43}$/);
      const database = migratedDatabase(join(dir.path, "oo.db"));
      expect(isSetupTokenUsable(database.db, tokenOf(link))).toBe(true);
      database.close();
    } finally {
      dir.cleanup();
    }
  });

  test("boot logs one setup link while there is no admin, and none once there is", async () => {
    const dir = tempDir();
    try {
      const boot = async () => {
        const port = freePort();
        const child = Bun.spawn(["bun", MAIN], { env: env(dir.path, { PORT: String(port) }), stdout: "pipe", stderr: "pipe" });
        const deadline = Date.now() + 10_000;
        while (Date.now() < deadline) {
          try {
            if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) break;
          } catch {}
          await Bun.sleep(25);
        }
        // The setup link comes once the first requests are answered, in the same turn as the line
        // that Google sign-in is off: wait for that line, then stop.
        const reader = child.stdout.getReader();
        const decoder = new TextDecoder();
        let stdout = "";
        while (!stdout.includes("Google sign-in is off") && Date.now() < deadline) {
          const chunk = await Promise.race([reader.read(), Bun.sleep(deadline - Date.now()).then(() => null)]);
          if (chunk?.value) stdout += decoder.decode(chunk.value, { stream: true });
        }
        child.kill("SIGTERM");
        await child.exited;
        for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) stdout += decoder.decode(chunk.value, { stream: true });
        const lines = (stdout + decoder.decode()).trim().split("\n").map((line) => JSON.parse(line));
        expect(lines.some((line) => String(line.msg).startsWith("Google sign-in is off"))).toBe(true);
        return lines.filter((line) => typeof line.url === "string" && line.url.includes("/setup?token="));
      };

      const first = await boot();
      expect(first).toHaveLength(1);
      expect(first[0].msg).toContain("owner");

      const onTheSameFile = createTestApp({}, join(dir.path, "oo.db"));
      expect((await onTheSameFile.request("/setup", form({ token: tokenOf(first[0].url) }))).status).toBe(303);
      onTheSameFile.database.close();

      expect(await boot()).toHaveLength(0);
    } finally {
      dir.cleanup();
    }
  }, 30_000);
});

describe("no dead ends", () => {
  test("every page but the tip links back to it; leaving says so in one line", async () => {
    const context = createTestApp();
    const person = signIn(context.database);
    for (const path of ["/account", "/connect", "/legal/terms", "/legal/privacy"]) {
      const page = await (await context.request(path, { headers: { cookie: person.cookie } })).text();
      expect(page).toContain('<a href="/">← Your tip</a>');
    }
    const signedOut = await context.request("/signout", { method: "POST", headers: { cookie: person.cookie } });
    const after = await (await context.request(signedOut.headers.get("location")!)).text();
    expect(after).toContain("You are signed out.");
    const leaving = signIn(context.database);
    const deleted = await context.request("/account/delete", { method: "POST", headers: { cookie: leaving.cookie } });
    expect(await (await context.request(deleted.headers.get("location")!)).text()).toContain("Your account and everything oO stored about you are deleted.");
    // Only the known notices are shown; anything else in the query string is ignored, never echoed.
    const planted = await (await context.request("/signin?notice=%3Cb%3Eplanted")).text();
    expect(planted).not.toContain("planted");
    expect(planted).not.toContain('class="notice"');
  });

  test("a signed-in person who opens /signin goes on to the tip (or where they were going)", async () => {
    const context = createTestApp();
    const person = signIn(context.database);
    const home = await context.request("/signin", { headers: { cookie: person.cookie } });
    expect(home.status).toBe(303);
    expect(home.headers.get("location")).toBe("/");
    const onward = await context.request("/signin?next=%2Fconnect", { headers: { cookie: person.cookie } });
    expect(onward.headers.get("location")).toBe("/connect");
    expect((await context.request("/signin")).status).toBe(200);
  });

  test("the admin token lands on the console; a used setup link says so", async () => {
    const adminToken = "correct horse battery staple";
    const context = createTestApp({ ADMIN_TOKEN: adminToken });
    const signedIn = await context.request("/admin/login", form({ token: adminToken }));
    expect(signedIn.headers.get("location")).toBe("/admin");
    const token = tokenOf(issueSetupLink(context.database.db, context.config.apiBaseUrl));
    await context.request("/setup", form({ token }));
    const spent = await (await context.request(`/setup?token=${token}`)).text();
    expect(spent).toContain("This link no longer works");
    expect(spent).not.toContain("Create the owner account");
  });
});

