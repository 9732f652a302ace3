import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { events, integrations, outbox, tasks } from "../db/schema.ts";
import type { FakeTodoist, FakeTodoistOptions } from "../testing/fake-todoist.ts";
import { signIn } from "../testing/auth.ts";
import { createTestApp, type TestContext, tempDir } from "../testing/harness.ts";
import { connectTodoist, lastBearer, startTodoist } from "../testing/integrations.ts";

const contexts: TestContext[] = [];
const fakes: FakeTodoist[] = [];
afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close();
  await Promise.all(fakes.splice(0).map((fake) => fake.stop()));
});

function setup(options: FakeTodoistOptions = {}, databasePath?: string) {
  const fake = startTodoist(options);
  fakes.push(fake);
  const context = createTestApp(fake.env, databasePath);
  contexts.push(context);
  const module = context.modules.integrations;
  return { fake, context, module };
}

/** A person who has connected Todoist (the fake user has `tasks`), with the grant the vault holds. */
async function connectedPerson(options: FakeTodoistOptions = {}, tasks?: { content: string }[]) {
  const { fake, context, module } = setup(options);
  fake.createUser(tasks ? { tasks } : undefined);
  const person = signIn(context.database);
  await connectTodoist(context, person);
  await module.idle();
  const grant = module.store.tokens(integrationOf(context, person.userId)!);
  return { fake, context, module, person, grant };
}

const integrationOf = (context: TestContext, userId: string) =>
  context.database.db.select().from(integrations).where(eq(integrations.userId, userId)).get();

describe("connecting Todoist", () => {
  test("long-lived token: the state cookie, the round trip, the grant stored sealed, the first sync in the background", async () => {
    const { fake, context, module } = setup();
    const account = fake.createUser({ tasks: [{ content: "Buy milk", priority: 4 }] });
    const person = signIn(context.database, { timezone: "Europe/Paris" });

    const start = await context.request("/api/integrations/todoist/connect", { method: "POST", headers: { cookie: person.cookie } });
    expect(start.status).toBe(302);
    const authorize = new URL(start.headers.get("location")!);
    expect(`${authorize.origin}${authorize.pathname}`).toBe(fake.authUrl);
    expect(authorize.searchParams.get("scope")).toBe("data:read_write");
    expect(authorize.searchParams.get("client_id")).toBe(fake.clientId);
    const state = authorize.searchParams.get("state")!;
    expect(state.length).toBeGreaterThanOrEqual(40);
    const stateCookie = start.headers.getSetCookie().find((line) => line.startsWith("todoist_connect="))!;
    expect(stateCookie).toContain(`todoist_connect=${state}.`);
    expect(stateCookie).toContain("HttpOnly");
    expect(stateCookie).toContain("SameSite=Lax");
    expect(stateCookie).toContain("Path=/api/integrations/todoist");
    expect(stateCookie).toContain("Max-Age=600");

    const run = await connectTodoist(context, person);
    expect(run.location).toBe("/connect?todoist=connected");
    // The state is spent whatever the outcome.
    expect(run.callback.headers.getSetCookie().some((line) => line.startsWith("todoist_connect=;"))).toBe(true);

    const row = integrationOf(context, person.userId)!;
    expect(row.status).toBe("connected");
    expect(row.externalUserId).toBe(account.id);
    expect(row.scope).toBe("data:read_write");
    expect(row.accessTokenExpiresAt).toBeNull();
    expect(row.refreshTokenCiphertext).toBeNull();
    const token = lastBearer(fake)!;
    expect(fake.userIdOf(token)).toBe(account.id);
    expect(row.accessTokenCiphertext).toMatch(/^v1\./);
    expect(row.accessTokenCiphertext).not.toContain(token);
    expect(module.store.tokens(row).accessToken).toBe(token);

    await module.idle();
    const stored = context.database.db.select().from(tasks).where(eq(tasks.userId, person.userId)).all();
    expect(stored.map((task) => task.content)).toEqual(["Buy milk"]);

    const listed = await (await context.request("/api/integrations", { headers: { cookie: person.cookie } })).json();
    expect(listed.integrations).toHaveLength(1);
    expect(listed.integrations[0]).toMatchObject({ provider: "todoist", status: "connected", taskCount: 1, lastSyncError: null });
    expect(typeof listed.integrations[0].lastSyncAt).toBe("number");

    const page = await (await context.request(run.location, { headers: { cookie: person.cookie } })).text();
    expect(page).toContain("Todoist is connected.");
    expect(page).toContain("Connected · 1 open task · last synced");
    // Europe/Paris is CET or CEST depending on the season; either way the person's zone, not UTC.
    expect(page).toMatch(/last synced \d{1,2} \w{3}, \d{2}:\d{2} (CET|CEST|GMT\+1|GMT\+2)/);
    expect(page).toContain('action="/connect/todoist/disconnect"');
    expect(page).not.toContain('action="/api/integrations/todoist/connect"');
    expect(page).toContain('href="/account"');
    expect(page).not.toContain("sync failed");
    // A sync that fails says so on the page (the reason stays in the console).
    context.database.sqlite.run("UPDATE integrations SET last_sync_error = 'Todoist list tasks: HTTP 500' WHERE user_id = ?", [person.userId]);
    const failing = await (await context.request("/connect", { headers: { cookie: person.cookie } })).text();
    expect(failing).toContain("last synced");
    expect(failing).toContain("the latest sync failed, oO tries again on its own");
    expect(failing).not.toContain("HTTP 500");

    const changed = context.database.db.select().from(events).where(eq(events.subject, "signals.integration.changed")).all();
    expect(changed.map((event) => JSON.parse(event.payload))).toEqual([{ provider: "todoist", status: "connected" }]);
    expect(JSON.stringify(context.lines)).not.toContain(token);
  });

  test("the exchange and the account lookup carry the callback request's trace", async () => {
    const { fake, context } = setup();
    fake.createUser();
    const person = signIn(context.database);
    const trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    await connectTodoist(context, person, { headers: { traceparent: `00-${trace}-00f067aa0ba902b7-01` } });
    const calls = fake.requests.filter((request) => request.path === "/oauth/access_token" || request.path === "/api/v1/user");
    expect(calls).toHaveLength(2);
    for (const call of calls) expect(call.headers.traceparent).toStartWith(`00-${trace}-`);
  });

  test("expiring token: refresh token and expiry stored, both sealed", async () => {
    const { fake, context, module } = setup({ accessTokenLifetimeSeconds: 3600 });
    fake.createUser();
    const person = signIn(context.database);
    expect((await connectTodoist(context, person)).outcome).toBe("connected");
    const row = integrationOf(context, person.userId)!;
    expect(row.refreshTokenCiphertext).toMatch(/^v1\./);
    expect(row.accessTokenExpiresAt! - Date.now()).toBeGreaterThan(3590_000);
    expect(row.accessTokenExpiresAt! - Date.now()).toBeLessThanOrEqual(3600_000);
    const grant = module.store.tokens(row);
    expect(fake.tokenState(grant.accessToken)).toBe("active");
    expect(row.refreshTokenCiphertext).not.toContain(grant.refreshToken!);
    await module.idle();
    // Plenty of life left: the first sync did not refresh.
    expect(fake.requests.filter((request) => request.body.includes("grant_type=refresh_token"))).toHaveLength(0);
  });

  test("denied consent: a message on /connect, nothing stored", async () => {
    const { fake, context } = setup();
    fake.createUser();
    fake.denyNextAuthorization();
    const person = signIn(context.database);
    const run = await connectTodoist(context, person);
    expect(run.outcome).toBe("denied");
    expect(integrationOf(context, person.userId)).toBeUndefined();
    expect(fake.count("POST", "/oauth/access_token")).toBe(0);
    const page = await (await context.request(run.location, { headers: { cookie: person.cookie } })).text();
    expect(page).toContain("access was not allowed. Nothing was saved.");
    expect(page).toContain('action="/api/integrations/todoist/connect"');
  });

  test("bad state: changed, missing, or minted for another session; the code is never exchanged", async () => {
    const { fake, context } = setup();
    fake.createUser();
    const person = signIn(context.database);
    const other = signIn(context.database);

    const changed = await connectTodoist(context, person, { callback: (url) => url.searchParams.set("state", "forged") });
    expect(changed.outcome).toBe("state");
    const missing = await connectTodoist(context, person, { cookie: () => person.cookie });
    expect(missing.outcome).toBe("state");
    // The victim's browser carries a state cookie the attacker obtained with their own session.
    const crossSession = await connectTodoist(context, person, { cookie: (cookie) => cookie.replace(person.cookie, other.cookie) });
    expect(crossSession.outcome).toBe("state");
    const forgedMac = await connectTodoist(context, person, { cookie: (cookie) => cookie.replace(/(todoist_connect=[^.]+\.)\S+/, "$1AAAA") });
    expect(forgedMac.outcome).toBe("state");

    expect(fake.count("POST", "/oauth/access_token")).toBe(0);
    expect(context.database.db.select().from(integrations).all()).toHaveLength(0);
    const page = await (await context.request(changed.location, { headers: { cookie: person.cookie } })).text();
    expect(page).toContain("That connection attempt expired or did not start here.");
  });

  test("a code Todoist refuses: a message, nothing stored", async () => {
    const { fake, context } = setup();
    fake.createUser();
    const person = signIn(context.database);
    fake.respondNext({ status: 400, body: { error: "invalid_grant" } });
    const run = await connectTodoist(context, person);
    expect(run.outcome).toBe("failed");
    expect(integrationOf(context, person.userId)).toBeUndefined();
    const page = await (await context.request(run.location, { headers: { cookie: person.cookie } })).text();
    expect(page).toContain("Todoist did not complete the connection.");
  });

  test("without TODOIST_CLIENT_ID: no connect button, the routes say so", async () => {
    const context = createTestApp();
    contexts.push(context);
    const person = signIn(context.database);
    const page = await (await context.request("/connect", { headers: { cookie: person.cookie } })).text();
    expect(page).toContain("Todoist");
    expect(page).toContain("Not available on this instance.");
    expect(page).not.toContain("<form");
    const start = await context.request("/api/integrations/todoist/connect", { method: "POST", headers: { cookie: person.cookie } });
    expect(start.status).toBe(404);
    expect((await start.json()).error.code).toBe("todoist_disabled");
    const unknownNotice = await (await context.request("/connect?todoist=__proto__", { headers: { cookie: person.cookie } })).text();
    expect(unknownNotice).not.toContain('class="notice"');
  });

  test("the API and the page need a session", async () => {
    const { context } = setup();
    expect((await context.request("/api/integrations")).status).toBe(401);
    expect((await context.request("/api/integrations/todoist/connect", { method: "POST" })).status).toBe(401);
    expect((await context.request("/api/integrations/todoist", { method: "DELETE" })).status).toBe(401);
    expect((await context.request("/connect")).status).toBe(303);
    const person = signIn(context.database);
    expect(await (await context.request("/api/integrations", { headers: { cookie: person.cookie } })).json()).toEqual({ integrations: [] });
    const unknown = await context.request("/api/integrations/asana", { method: "DELETE", headers: { cookie: person.cookie } });
    expect(unknown.status).toBe(404);
    const notConnected = await context.request("/api/integrations/todoist", { method: "DELETE", headers: { cookie: person.cookie } });
    expect(notConnected.status).toBe(404);
    expect((await notConnected.json()).error.code).toBe("not_connected");
  });
});

describe("tokens at rest", () => {
  test("neither token is in the database file, its WAL, the logs or the export", async () => {
    const dir = tempDir();
    try {
      const path = join(dir.path, "oo.db");
      const { fake, context, module } = setup({ accessTokenLifetimeSeconds: 3600 }, path);
      fake.createUser({ tasks: [{ content: "Call the bank" }] });
      const person = signIn(context.database);
      expect((await connectTodoist(context, person)).outcome).toBe("connected");
      await module.idle();
      const grant = module.store.tokens(integrationOf(context, person.userId)!);
      const exported = await (await context.request("/api/user/export", { headers: { cookie: person.cookie } })).text();

      const files = [path, `${path}-wal`, `${path}-shm`].filter((file) => existsSync(file));
      expect(files).toContain(`${path}-wal`);
      const bytes = files.map((file) => readFileSync(file));
      // The check can see plain text in these files at all: the task synced a moment ago is there.
      expect(bytes.some((content) => content.includes("Call the bank"))).toBe(true);
      for (const secret of [grant.accessToken, grant.refreshToken!]) {
        for (const content of bytes) expect(content.includes(secret)).toBe(false);
        expect(exported).not.toContain(secret);
        expect(JSON.stringify(context.lines)).not.toContain(secret);
      }
      expect(exported).toContain("[withheld: secret]");
      // Stopping closes the database into its one file.
      await context.close();
      contexts.splice(contexts.indexOf(context), 1);
      for (const secret of [grant.accessToken, grant.refreshToken!]) expect(readFileSync(path).includes(secret)).toBe(false);
    } finally {
      dir.cleanup();
    }
  });
});

describe("disconnecting", () => {
  test("DELETE removes the grant, the tasks and the pending closes, even when Todoist is down for the revoke", async () => {
    const { fake, context, module, person, grant } = await connectedPerson({}, [{ content: "A" }, { content: "B" }]);
    const token = grant.accessToken;
    const [task] = context.database.db.select().from(tasks).where(eq(tasks.userId, person.userId)).all();
    fake.failNext(10, 503);
    module.closes.enqueue(person.userId, task!.externalId);
    await module.idle();
    fake.clearRequests();
    expect(module.store.pendingWrites(person.userId, "todoist")).toBe(1);

    const response = await context.request("/api/integrations/todoist", { method: "DELETE", headers: { cookie: person.cookie } });
    // The revoke met one of the injected failures: logged, not retried, and the disconnect went ahead.
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ disconnected: true });
    expect(integrationOf(context, person.userId)).toBeUndefined();
    expect(context.database.db.select().from(tasks).where(eq(tasks.userId, person.userId)).all()).toHaveLength(0);
    expect(context.database.db.select().from(outbox).where(eq(outbox.userId, person.userId)).all()).toHaveLength(0);
    expect(context.lines.some((line) => line.msg === "todoist revoke failed; the token is deleted anyway")).toBe(true);
    expect(JSON.stringify(context.lines)).not.toContain(token);
    const changed = context.database.db.select().from(events).where(eq(events.subject, "signals.integration.changed")).all();
    expect(changed.map((event) => JSON.parse(event.payload).status)).toEqual(["connected", "disconnected"]);
  });

  test("a refresh token is revoked as one, even when revoking the access token failed", async () => {
    const { fake, context, person, grant } = await connectedPerson({ accessTokenLifetimeSeconds: 3600 });
    expect(grant.refreshToken).toBeTruthy();
    fake.clearRequests();
    fake.failNext(1, 503);
    const response = await context.request("/api/integrations/todoist", { method: "DELETE", headers: { cookie: person.cookie } });
    expect(response.status).toBe(200);
    const hints = fake.requests.filter((request) => request.path === "/api/v1/revoke").map((request) => new URLSearchParams(request.body).get("token_type_hint"));
    expect(hints).toEqual(["access_token", "refresh_token"]);
    expect(fake.tokenState(grant.refreshToken!)).toBe("revoked");
    expect(context.lines.filter((line) => line.msg === "todoist revoke failed; the token is deleted anyway")).toHaveLength(1);
  });

  test("the page's form disconnects; the token is revoked and then refused by Todoist", async () => {
    const { fake, context, person, grant } = await connectedPerson();
    const token = grant.accessToken;
    fake.clearRequests();
    const response = await context.request("/connect/todoist/disconnect", { method: "POST", headers: { cookie: person.cookie } });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/connect?todoist=disconnected");
    const revoke = fake.requests.find((request) => request.path === "/api/v1/revoke")!;
    expect(new URLSearchParams(revoke.body).get("token")).toBe(token);
    expect(fake.tokenState(token)).toBe("revoked");
    expect((await fetch(`${fake.apiBaseUrl}/tasks`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    expect(integrationOf(context, person.userId)).toBeUndefined();
    const page = await (await context.request("/connect?todoist=disconnected", { headers: { cookie: person.cookie } })).text();
    expect(page).toContain("Todoist is disconnected.");
    expect(page).toContain("Not connected.");
  });

  test("account deletion revokes the grant before the rows go", async () => {
    const { fake, context, person, grant } = await connectedPerson({ accessTokenLifetimeSeconds: 3600 });
    const response = await context.request("/api/user", { method: "DELETE", headers: { cookie: person.cookie } });
    expect(response.status).toBe(200);
    expect(fake.tokenState(grant.accessToken)).toBe("revoked");
    expect((await fetch(`${fake.apiBaseUrl}/tasks`, { headers: { authorization: `Bearer ${grant.accessToken}` } })).status).toBe(401);
    // The refresh token is revoked too, so the grant cannot be renewed.
    const refresh = await fetch(fake.tokenUrl, {
      method: "POST",
      body: new URLSearchParams({ client_id: fake.clientId, client_secret: fake.clientSecret, grant_type: "refresh_token", refresh_token: grant.refreshToken! }),
    });
    expect(refresh.status).toBe(400);
    expect(context.database.db.select().from(integrations).all()).toHaveLength(0);
    expect(JSON.stringify(context.lines)).not.toContain(grant.accessToken);
  });
});
