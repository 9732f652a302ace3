import { describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { Elysia } from "elysia";
import { sessions } from "../db/schema.ts";
import { signIn } from "../testing/auth.ts";
import { createTestApp } from "../testing/harness.ts";
import { authGuards } from "./guards.ts";
import { hashToken, SESSION_LIFETIME_MS, SessionStore } from "./service.ts";

function appWithGuardedRoutes() {
  const context = createTestApp();
  const store = new SessionStore(context.database.db);
  context.app.use(
    new Elysia()
      .use(authGuards(context.config, store))
      .get("/api/whoami", ({ user }) => user, { requireAuth: true })
      .get("/account-probe", ({ user }) => `hello ${user.id}`, { requireAuth: true })
      .get("/api/admin/probe", ({ user }) => ({ admin: user.id }), { requireAdmin: true })
      .get("/admin/probe", () => "console", { requireAdmin: true }),
  );
  return { ...context, store };
}

describe("requireAuth / requireAdmin", () => {
  test("no or unknown session: 401 JSON for the API, redirect to sign-in for pages", async () => {
    const { request } = appWithGuardedRoutes();
    // A value Elysia parses as JSON (a planted cookie) is no session either, not a 500.
    for (const cookie of [undefined, "sid=not-a-real-token", 'sid={"a":1}', "sid=[1,2]"]) {
      const api = await request("/api/whoami", { headers: cookie ? { cookie } : {} });
      expect(api.status).toBe(401);
      expect(await api.json()).toEqual({ error: { code: "unauthenticated", message: expect.any(String) } });
    }
    const page = await request("/account-probe?tab=1");
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toBe("/signin?next=%2Faccount-probe%3Ftab%3D1");
    const admin = await request("/admin/probe");
    expect(admin.headers.get("location")).toBe("/admin/login?next=%2Fadmin%2Fprobe");
  });

  test("a valid session resolves the user; admin routes need the admin role", async () => {
    const { request, database } = appWithGuardedRoutes();
    const person = signIn(database, { timezone: "Europe/Paris" });
    const whoami = await request("/api/whoami", { headers: { cookie: person.cookie } });
    expect(await whoami.json()).toMatchObject({ id: person.userId, role: "user", timezone: "Europe/Paris" });
    const denied = await request("/api/admin/probe", { headers: { cookie: person.cookie } });
    expect(denied.status).toBe(403);
    expect((await denied.json()).error.code).toBe("forbidden");
    const deniedPage = await request("/admin/probe", { headers: { cookie: person.cookie } });
    expect(deniedPage.status).toBe(403);
    expect(deniedPage.headers.get("content-type")).toContain("text/html");

    const admin = signIn(database, { role: "admin" });
    const allowed = await request("/api/admin/probe", { headers: { cookie: admin.cookie } });
    expect(await allowed.json()).toEqual({ admin: admin.userId });
  });

  test("the session slides once half its life is used, and the cookie is re-sent", async () => {
    const { request, database } = appWithGuardedRoutes();
    const person = signIn(database);
    const hash = hashToken(person.token);
    const fresh = await request("/api/whoami", { headers: { cookie: person.cookie } });
    expect(fresh.headers.get("set-cookie")).toBeNull();

    const almostHalf = Date.now() + SESSION_LIFETIME_MS.user / 2 - 60_000;
    database.db.update(sessions).set({ expiresAt: almostHalf }).where(eq(sessions.tokenHash, hash)).run();
    const renewed = await request("/api/whoami", { headers: { cookie: person.cookie } });
    const setCookie = renewed.headers.get("set-cookie")!;
    expect(setCookie).toContain(`sid=${person.token}`);
    expect(setCookie).toContain("HttpOnly");
    expect(setCookie).toContain("SameSite=Lax");
    const row = database.db.select().from(sessions).where(eq(sessions.tokenHash, hash)).get()!;
    expect(row.expiresAt).toBeGreaterThan(Date.now() + SESSION_LIFETIME_MS.user - 60_000);
  });

  test("an expired session is refused and removed", async () => {
    const { request, database } = appWithGuardedRoutes();
    const person = signIn(database);
    const hash = hashToken(person.token);
    database.db.update(sessions).set({ expiresAt: Date.now() - 1 }).where(eq(sessions.tokenHash, hash)).run();
    expect((await request("/api/whoami", { headers: { cookie: person.cookie } })).status).toBe(401);
    expect(database.db.select().from(sessions).where(eq(sessions.tokenHash, hash)).all()).toEqual([]);
  });

  test("admin-token sessions do not slide", () => {
    const { database, store } = appWithGuardedRoutes();
    const person = signIn(database, { role: "admin" });
    const now = Date.now();
    const { token, expiresAt } = store.create(person.userId, "admin_token", null, now);
    expect(expiresAt).toBe(now + SESSION_LIFETIME_MS.admin_token);
    const later = store.validate(token, now + SESSION_LIFETIME_MS.admin_token - 1000)!;
    expect(later.renewed).toBe(false);
    expect(later.expiresAt).toBe(expiresAt);
    expect(store.validate(token, expiresAt)).toBeNull();
  });
});
