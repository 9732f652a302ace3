import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { hashToken } from "../auth/service.ts";
import { events, tipViews, users, userTombstones } from "../db/schema.ts";
import { signIn } from "../testing/auth.ts";
import { createTestApp, type TestContext, tempDir } from "../testing/harness.ts";
import { seedEveryUserTable, userReferences } from "../testing/user-data.ts";
import { deleteAccount, userOwnedTables, WITHHELD } from "./privacy.ts";
import { canonicalTimeZone } from "../time.ts";

const patch = (cookie: string, body: unknown): RequestInit => ({
  method: "PATCH",
  headers: { cookie, "content-type": "application/json" },
  body: JSON.stringify(body),
});
const accountForm = (cookie: string, fields: Record<string, string>, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { cookie, "content-type": "application/x-www-form-urlencoded", ...headers },
  body: new URLSearchParams(fields).toString(),
});
const userRow = (context: TestContext, id: string) => context.database.db.select().from(users).where(eq(users.id, id)).get();

/** Rows that still name the person, in any column that references users, in any table of the live database. */
function rowsNaming(context: TestContext, userId: string): string[] {
  const { sqlite } = context.database;
  const found = userReferences(sqlite).flatMap(({ table, column, where }) => {
    const { n } = sqlite.query<{ n: number }, [string]>(`SELECT count(*) AS n FROM "${table}" WHERE ${where}`).get(userId)!;
    return n > 0 ? [`${table}.${column}: ${n}`] : [];
  });
  if (userRow(context, userId)) found.push("users.id");
  return found;
}

describe("profile", () => {
  test("GET returns the settings; PATCH changes them and confirms the time zone", async () => {
    const context = createTestApp();
    const person = signIn(context.database, { email: "ada@example.test", name: "Ada" });
    const profile = await (await context.request("/api/user/profile", { headers: { cookie: person.cookie } })).json();
    expect(profile).toEqual({
      id: person.userId,
      email: "ada@example.test",
      name: "Ada",
      role: "user",
      timezone: "UTC",
      timezoneConfirmed: false,
      quietHoursStart: "22:00",
      quietHoursEnd: "08:00",
      pushOptIn: false,
    });
    const changed = await context.request(
      "/api/user/profile",
      patch(person.cookie, { timezone: "america/new_york", quietHoursStart: "23:30", quietHoursEnd: "06:45", pushOptIn: true }),
    );
    expect(changed.status).toBe(200);
    expect(await changed.json()).toMatchObject({
      timezone: "America/New_York",
      timezoneConfirmed: true,
      quietHoursStart: "23:30",
      quietHoursEnd: "06:45",
      pushOptIn: true,
    });
  });

  test("invalid values are a 400 naming the field, and nothing changes", async () => {
    const context = createTestApp();
    const person = signIn(context.database);
    const before = userRow(context, person.userId);
    const cases: [unknown, string][] = [
      [{ timezone: "Mars/Olympus_Mons" }, "timezone"],
      [{ timezone: "+01:00" }, "timezone"],
      [{ timezone: "" }, "timezone"],
      [{ quietHoursStart: "25:00" }, "quietHoursStart"],
      [{ quietHoursStart: "7:00" }, "quietHoursStart"],
      [{ quietHoursEnd: "10pm" }, "quietHoursEnd"],
      [{ quietHoursEnd: "22:00:00" }, "quietHoursEnd"],
      [{ pushOptIn: "yes" }, "pushOptIn"],
      [{ timezone: 5 }, "timezone"],
      [{ quietHoursStart: null }, "quietHoursStart"],
      // A good field next to a bad one is not applied either.
      [{ timezone: "Europe/Paris", quietHoursEnd: "8" }, "quietHoursEnd"],
    ];
    for (const [body, field] of cases) {
      const response = await context.request("/api/user/profile", patch(person.cookie, body));
      expect(response.status).toBe(400);
      const { error } = (await response.json()) as { error: { message: string } };
      expect(error.message).toContain(field);
    }
    expect(userRow(context, person.userId)).toEqual(before);
  });

  test("IANA zones are canonicalised; offsets and made-up names are not zones", () => {
    expect(canonicalTimeZone("europe/paris")).toBe("Europe/Paris");
    expect(canonicalTimeZone("UTC")).toBe("UTC");
    expect(canonicalTimeZone("Asia/Calcutta")).toBeDefined();
    for (const zone of ["-05:00", "Europe/Nowhere", "../etc/passwd", "Europe/Paris; drop"]) expect(canonicalTimeZone(zone)).toBeUndefined();
  });

  test("signed out, the API answers 401", async () => {
    const context = createTestApp();
    expect((await context.request("/api/user/profile")).status).toBe(401);
    expect((await context.request("/api/user/profile", patch("", { pushOptIn: true }))).status).toBe(401);
    expect((await context.request("/api/user/export")).status).toBe(401);
    expect((await context.request("/api/user", { method: "DELETE" })).status).toBe(401);
  });
});

describe("/account", () => {
  test("shows who you are, escaped, with the settings form, the export link and the delete confirmation", async () => {
    const context = createTestApp();
    const person = signIn(context.database, { name: "<script>alert(1)</script>", email: "ada@example.test" });
    const page = await (await context.request("/account", { headers: { cookie: person.cookie } })).text();
    expect(page).not.toContain("<script>alert(1)</script>");
    expect(page).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(page).toContain("ada@example.test");
    expect(page).toContain('<form method="post" action="/account">');
    expect(page).toContain('href="/api/user/export"');
    expect(page).toMatch(/<details class="confirm">.*<form method="post" action="\/account\/delete">/s);
    expect(page).toContain('<form method="post" action="/signout">');
  });

  test("sends the browser's time zone once: the script is there until the zone is confirmed", async () => {
    const context = createTestApp();
    const fresh = signIn(context.database);
    expect(await (await context.request("/account", { headers: { cookie: fresh.cookie } })).text()).toContain("resolvedOptions().timeZone");
    await context.request("/api/user/profile", patch(fresh.cookie, { timezone: "Asia/Tokyo" }));
    expect(await (await context.request("/account", { headers: { cookie: fresh.cookie } })).text()).not.toContain("resolvedOptions");
  });

  test("the form saves without JavaScript and leaves the push preference alone (it offers no push switch yet); a bad value re-shows the page", async () => {
    const context = createTestApp();
    const person = signIn(context.database);
    await context.request("/api/user/profile", patch(person.cookie, { pushOptIn: true }));
    const saved = await context.request("/account", accountForm(person.cookie, { timezone: "Asia/Tokyo", quietHoursStart: "21:00", quietHoursEnd: "07:00" }));
    expect(saved.status).toBe(303);
    expect(saved.headers.get("location")).toBe("/account?saved=1");
    expect(userRow(context, person.userId)).toMatchObject({ timezone: "Asia/Tokyo", quietHoursStart: "21:00", quietHoursEnd: "07:00", pushOptIn: true });
    expect(await (await context.request("/account", { headers: { cookie: person.cookie } })).text()).not.toContain("pushOptIn");
    expect(await (await context.request("/account?saved=1", { headers: { cookie: person.cookie } })).text()).toContain("Saved.");

    const before = userRow(context, person.userId);
    const refused = await context.request(
      "/account",
      accountForm(person.cookie, { timezone: "Europe/Paris", quietHoursStart: "9", quietHoursEnd: "07:00" }),
    );
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("quietHoursStart: use HH:MM");
    expect(userRow(context, person.userId)).toEqual(before);
  });

  test("signed out, the page sends you to sign in and back", async () => {
    const response = await createTestApp().request("/account");
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/signin?next=%2Faccount");
  });
});

describe("export", () => {
  test("every table that references the person appears with its rows; other people and secrets do not", async () => {
    const context = createTestApp();
    const person = signIn(context.database);
    const other = signIn(context.database);
    const mine = seedEveryUserTable(context.database.sqlite, person.userId);
    seedEveryUserTable(context.database.sqlite, other.userId);
    const tipOf = async (cookie: string) => (await (await context.request("/api/recommend", { method: "POST", headers: { cookie } })).json()).tip.id as string;
    const [myTip, otherTip] = [await tipOf(person.cookie), await tipOf(other.cookie)];

    const response = await context.request("/api/user/export", { headers: { cookie: person.cookie } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-disposition")).toBe(`attachment; filename="oo-export-${new Date().toISOString().slice(0, 10)}.json"`);
    const text = await response.text();
    const exported = JSON.parse(text) as { user: { id: string }; tables: Record<string, Record<string, unknown>[]> };
    expect(exported.user.id).toBe(person.userId);

    for (const [table, row] of mine) {
      expect(exported.tables[table]?.length).toBeGreaterThanOrEqual(1);
      for (const [column, value] of Object.entries(row)) {
        if (typeof value !== "string" || value === person.userId) continue;
        const marker = JSON.parse(value) as string;
        if (/(_hash|_ciphertext|_secret|token)$/.test(column)) expect(text).not.toContain(marker);
        // Binary columns (a decision's context and scores, a candidate's makings) are exported in base64.
        else if (["context", "scores", "makings"].includes(column)) expect(text).toContain(Buffer.from(value).toString("base64"));
        else expect(text).toContain(marker);
      }
    }
    expect(text).not.toContain(other.userId);
    expect(text).not.toContain(otherTip);
    // A served tip's record is its row (with its decision), not an event.
    expect(exported.tables.tip_views!.map((row) => row.id)).toContain(myTip);
    expect(exported.tables.tip_views!.find((row) => row.id === myTip)).toMatchObject({ propensity: expect.any(Number), scores: expect.any(String) });
    expect(text).not.toContain(hashToken(person.token));
    expect(text).toContain(WITHHELD);
  });

  test("the schema walk in the code finds the same tables as the live database", () => {
    const context = createTestApp();
    const live = [...new Set(userReferences(context.database.sqlite).map((reference) => reference.table))].toSorted();
    expect(userOwnedTables.map((owned) => owned.name).toSorted()).toEqual(live);
  });
});

describe("deletion", () => {
  test("erases every row about the person in every table, keeps a tombstone, runs hooks, ends sessions", async () => {
    const context = createTestApp();
    const person = signIn(context.database);
    const other = signIn(context.database);
    seedEveryUserTable(context.database.sqlite, person.userId);
    seedEveryUserTable(context.database.sqlite, other.userId);
    context.bus.publish("signals.tip.feedback", { tipId: "t1", action: "done", reward: 1, source: "test" }, person.userId);
    // A real tip each, with its decision in the tip's row.
    for (const cookie of [person.cookie, other.cookie]) {
      expect((await context.request("/api/recommend", { method: "POST", headers: { cookie } })).status).toBe(200);
    }
    const servedOf = (userId: string) => context.database.db.select().from(tipViews).where(eq(tipViews.userId, userId)).all();
    expect(servedOf(person.userId).length).toBeGreaterThan(0);
    const otherServed = servedOf(other.userId).length;
    const calls: string[] = [];
    context.runtime.accountDeletion.register("recording", (userId) => void calls.push(userId));
    context.runtime.accountDeletion.register("provider-down", async () => {
      throw new Error("revoke endpoint answered 503");
    });
    const otherRowsBefore = rowsNaming(context, other.userId);

    const response = await context.request("/api/user", { method: "DELETE", headers: { cookie: person.cookie } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ deleted: true });
    expect(response.headers.getSetCookie()[0]).toMatch(/^sid=; Max-Age=0/);

    expect(rowsNaming(context, person.userId)).toEqual([]);
    expect(servedOf(person.userId)).toEqual([]);
    expect(rowsNaming(context, other.userId)).toEqual(otherRowsBefore);
    expect(servedOf(other.userId)).toHaveLength(otherServed);
    expect(context.database.db.select().from(userTombstones).all()).toEqual([{ id: person.userId, deletedAt: expect.any(Number) }]);
    expect(calls).toEqual([person.userId]);
    const failure = context.lines.find((line) => line.msg === "account deletion hook failed; deleting anyway");
    expect(failure).toMatchObject({ hook: "provider-down", userId: person.userId, reason: "revoke endpoint answered 503" });

    const deletedEvents = context.database.db.select().from(events).where(eq(events.subject, "account.deleted")).all();
    expect(deletedEvents).toEqual([expect.objectContaining({ userId: null, payload: JSON.stringify({ userId: person.userId }) })]);

    // The session went with the account: a second call is simply unauthenticated.
    expect((await context.request("/api/user", { method: "DELETE", headers: { cookie: person.cookie } })).status).toBe(401);
    const deps = { db: context.database.db, bus: context.bus, log: context.log, hooks: context.runtime.accountDeletion };
    expect(await deleteAccount(deps, person.userId)).toBe(false);
    expect(calls).toHaveLength(1);
  });

  test("nothing of a deleted person can be read back from the database file", async () => {
    const dir = tempDir();
    try {
      const path = join(dir.path, "oo.db");
      const context = createTestApp({}, path);
      const person = signIn(context.database, { email: "erase-me-7d1f@example.test", name: "Erasable Q. Person" });
      expect((await context.request("/api/recommend", { method: "POST", headers: { cookie: person.cookie } })).status).toBe(200);
      const readable = () => {
        context.database.sqlite.run("PRAGMA wal_checkpoint(TRUNCATE)");
        const bytes = Buffer.concat([readFileSync(path), existsSync(`${path}-wal`) ? readFileSync(`${path}-wal`) : Buffer.alloc(0)]);
        return ["erase-me-7d1f@example.test", "Erasable Q. Person"].filter((text) => bytes.includes(text));
      };
      expect(readable()).toEqual(["erase-me-7d1f@example.test", "Erasable Q. Person"]);
      expect((await context.request("/api/user", { method: "DELETE", headers: { cookie: person.cookie } })).status).toBe(200);
      expect(readable()).toEqual([]);
      await context.close();
    } finally {
      dir.cleanup();
    }
  });

  test("the /account button deletes through a form post and lands signed out on /", async () => {
    const context = createTestApp();
    const person = signIn(context.database);
    const response = await context.request("/account/delete", { method: "POST", headers: { cookie: person.cookie } });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/signin?notice=deleted");
    expect(response.headers.getSetCookie()[0]).toContain("Max-Age=0");
    expect(rowsNaming(context, person.userId)).toEqual([]);
  });

  test("a cross-site deletion is refused and nothing is deleted", async () => {
    const context = createTestApp();
    const person = signIn(context.database);
    const evil = { cookie: person.cookie, origin: "https://evil.example" };
    expect((await context.request("/api/user", { method: "DELETE", headers: evil })).status).toBe(403);
    expect((await context.request("/account/delete", { method: "POST", headers: evil })).status).toBe(403);
    expect((await context.request("/account/delete", { method: "POST", headers: { cookie: person.cookie, "sec-fetch-site": "cross-site" } })).status).toBe(403);
    expect(userRow(context, person.userId)).toBeDefined();
    expect((await context.request("/api/user/profile", { headers: { cookie: person.cookie } })).status).toBe(200);
  });
});
