import { afterEach, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { candidateStates, tasks, tipFeedback, tipViews } from "../db/schema.ts";
import { startTodoist } from "../testing/integrations.ts";
import { signIn } from "../testing/auth.ts";
import { createTestApp, type TestContext } from "../testing/harness.ts";

const contexts: TestContext[] = [];
afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close();
});

function app() {
  const context = createTestApp();
  contexts.push(context);
  return context;
}

const tipIdOf = (html: string) => /data-tip-id="([^"]+)"/.exec(html)?.[1];

describe("the tip page", () => {
  test("signed out: redirect to sign-in", async () => {
    const response = await app().request("/");
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/signin");
  });

  test("one tip, its actions as plain forms, the why, and untrusted text escaped", async () => {
    const context = app();
    const person = signIn(context.database);
    context.database.db
      .insert(tasks)
      .values({
        userId: person.userId,
        provider: "todoist",
        externalId: "x1",
        content: '<script>alert("owned")</script> & <b>bold</b>',
        priority: 4,
        dueKind: "date",
        dueValue: "2020-01-01",
        syncedAt: Date.now(),
      })
      .run();
    context.modules.recommender.settings.update({ servingPolicy: "heuristic", epsilon: 0 });
    const response = await context.request("/", { headers: { cookie: person.cookie } });
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).not.toContain('<script>alert("owned")</script>');
    expect(page).toContain("&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;");
    const id = tipIdOf(page)!;
    expect(page).toContain(`<form class="sheet" method="post" action="/tip/${id}/feedback" hx-post="/tip/${id}/feedback"`);
    for (const action of ["done", "snooze", "dismiss", "helpful", "not_helpful"]) expect(page).toContain(`value="${action}"`);
    expect(page).toContain("Overdue by");
    expect(page).toContain('<meta name="theme-color" content="#000000"/>');
    expect(page).toContain('href="/manifest.webmanifest"');
  });

  test("a reload shows the same tip, never from the browser's cache; an action (no JavaScript) redirects to the next one", async () => {
    const context = app();
    const person = signIn(context.database);
    const headers = { cookie: person.cookie };
    const page = await context.request("/", { headers });
    expect(page.headers.get("cache-control")).toBe("no-store");
    const first = tipIdOf(await page.text())!;
    const reload = tipIdOf(await (await context.request("/", { headers })).text());
    expect(reload).toBe(first);

    const acted = await context.request(`/tip/${first}/feedback`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/x-www-form-urlencoded" },
      body: "action=dismiss",
    });
    expect(acted.status).toBe(303);
    expect(acted.headers.get("location")).toBe("/");
    expect(context.database.db.select().from(tipFeedback).where(eq(tipFeedback.tipId, first)).get()!.action).toBe("dismiss");
    const next = tipIdOf(await (await context.request("/", { headers })).text());
    expect(next).not.toBe(first);
  });

  test("with htmx: the response is the next tip's fragment, not a page", async () => {
    const context = app();
    const person = signIn(context.database);
    const first = tipIdOf(await (await context.request("/", { headers: { cookie: person.cookie } })).text())!;
    const response = await context.request(`/tip/${first}/feedback`, {
      method: "POST",
      headers: { cookie: person.cookie, "content-type": "application/x-www-form-urlencoded", "hx-request": "true" },
      body: "action=helpful",
    });
    expect(response.status).toBe(200);
    const fragment = await response.text();
    expect(fragment.startsWith('<section id="tip"')).toBe(true);
    expect(fragment).not.toContain("<html");
    expect(tipIdOf(fragment)).not.toBe(first);
  });

  test("with htmx: a repeated reaction shows the tip the first one brought, and serves none", async () => {
    const context = app();
    const person = signIn(context.database);
    const first = tipIdOf(await (await context.request("/", { headers: { cookie: person.cookie } })).text())!;
    const react = async (action: string) =>
      tipIdOf(
        await (
          await context.request(`/tip/${first}/feedback`, {
            method: "POST",
            headers: { cookie: person.cookie, "content-type": "application/x-www-form-urlencoded", "hx-request": "true" },
            body: `action=${action}`,
          })
        ).text(),
      );
    const next = await react("done");
    const served = context.database.db.select().from(tipViews).all().length;
    expect(await react("dismiss")).toBe(next);
    expect(context.database.db.select().from(tipViews).all().length).toBe(served);
    expect(context.database.db.select().from(tipFeedback).where(eq(tipFeedback.tipId, first)).get()!.action).toBe("done");
    expect(tipIdOf(await (await context.request("/", { headers: { cookie: person.cookie } })).text())).toBe(next);
  });

  test("a bad action on the page gets a readable 400 page and changes nothing", async () => {
    const context = app();
    const person = signIn(context.database);
    const first = tipIdOf(await (await context.request("/", { headers: { cookie: person.cookie } })).text())!;
    const response = await context.request(`/tip/${first}/feedback`, {
      method: "POST",
      headers: { cookie: person.cookie, "content-type": "application/x-www-form-urlencoded" },
      body: "action=launch",
    });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(await response.text()).toContain("action must be one of");
    expect(context.database.db.select().from(tipFeedback).all()).toEqual([]);
  });

  test("signed out mid-use: a form goes to sign-in, which says the action was not saved; htmx is told to leave the fragment", async () => {
    const context = app();
    const form = await context.request("/tip/some-tip/feedback", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", referer: "http://localhost:3001/" },
      body: "action=done",
    });
    expect(form.status).toBe(303);
    expect(form.headers.get("location")).toBe("/signin?notice=expired");
    expect(await (await context.request("/signin?notice=expired")).text()).toContain("Your session ended, so your last action was not saved.");
    const htmx = await context.request("/tip/some-tip/feedback", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "hx-request": "true" },
      body: "action=done",
    });
    expect(htmx.status).toBe(401);
    expect(htmx.headers.get("hx-redirect")).toBe("/signin?notice=expired");
  });

  test("an htmx action that fails reloads the page instead of swapping an error page into the tip", async () => {
    const context = app();
    const person = signIn(context.database);
    const response = await context.request("/tip/no-such-tip/feedback", {
      method: "POST",
      headers: { cookie: person.cookie, "content-type": "application/x-www-form-urlencoded", "hx-request": "true" },
      body: "action=done",
    });
    expect(response.status).toBe(404);
    expect(response.headers.get("hx-refresh")).toBe("true");
  });

  test("the page with its CSS and scripts weighs at most 30 KB gzipped", async () => {
    const context = app();
    const person = signIn(context.database);
    const page = await (await context.request("/", { headers: { cookie: person.cookie } })).text();
    const assets = [...page.matchAll(/<(?:link rel="stylesheet"|script)[^>]+(?:href|src)="([^"]+)"/g)].map((match) => match[1]!);
    expect(assets.length).toBe(4); // the stylesheet, htmx, tip.js and push.js
    let total = Bun.gzipSync(new TextEncoder().encode(page)).length;
    for (const url of assets) {
      const response = await context.request(url, { headers: { "accept-encoding": "gzip" } });
      expect(response.headers.get("content-encoding")).toBe("gzip");
      total += (await response.arrayBuffer()).byteLength;
    }
    expect(total).toBeLessThanOrEqual(30 * 1024);
  });

  test("/connect lists the integrations and links the account page", async () => {
    const context = app();
    expect((await context.request("/connect")).status).toBe(303);
    const person = signIn(context.database);
    const page = await (await context.request("/connect", { headers: { cookie: person.cookie } })).text();
    expect(page).toContain("Todoist");
    expect(page).toContain('href="/account"');
  });

  test("nothing to suggest, Todoist not connected: the page offers to connect it, and offers no actions", async () => {
    const fake = startTodoist();
    try {
      const context = createTestApp(fake.env);
      contexts.push(context);
      const person = signIn(context.database);
      const keys = context.database.sqlite.query<{ id: string }, []>("SELECT id FROM advice").all().map((row) => `advice:${row.id}`);
      const now = Date.now();
      context.database.db.insert(candidateStates).values(keys.map((candidateKey) => ({ userId: person.userId, candidateKey, hiddenUntil: now + 3_600_000, updatedAt: now }))).run();
      const page = await (await context.request("/", { headers: { cookie: person.cookie } })).text();
      expect(page).toContain("Nothing is waiting");
      expect(page).toContain('<a class="button" href="/connect">Connect Todoist</a>');
      expect(page).not.toContain('class="sheet"');
      expect(page).not.toContain("Tap it");
    } finally {
      await fake.stop();
    }
  });
});
