import { afterEach, describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { banditStates, events, tasks, tipFeedback, webhookDeliveries } from "../db/schema.ts";
import type { FakeTodoist } from "../testing/fake-todoist.ts";
import { signIn, type SignedIn } from "../testing/auth.ts";
import { createTestApp, serveApp, type TestContext } from "../testing/harness.ts";
import { connectAccount, startTodoist, TODOIST_WEBHOOK } from "../testing/integrations.ts";
import type { Env } from "../config.ts";

const contexts: TestContext[] = [];
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  for (const context of contexts.splice(0)) await context.close();
});

/** The fake, the app on a real port (the fake POSTs webhooks over HTTP), and one connected person. */
function setup(env: Env = {}) {
  const fake = startTodoist();
  cleanups.push(() => fake.stop());
  const context = createTestApp({ ...fake.env, ...env });
  contexts.push(context);
  const server = serveApp(context);
  cleanups.push(() => server.stop());
  const module = context.modules.integrations;
  const account = fake.createUser();
  const person = connectAccount(context, account);
  return { fake, context, module, account, person, url: `${server.url}${TODOIST_WEBHOOK}` };
}

const storedTasks = (context: TestContext, person: SignedIn) =>
  context.database.db.select().from(tasks).where(eq(tasks.userId, person.userId)).all();
const deliveries = (context: TestContext) => context.database.db.select().from(webhookDeliveries).all();
const syncedEvents = (context: TestContext, person: SignedIn) =>
  context.database.db
    .select()
    .from(events)
    .where(and(eq(events.subject, "signals.task.synced"), eq(events.userId, person.userId)))
    .all()
    .map((event) => JSON.parse(event.payload));

async function recommendTask(context: TestContext, person: SignedIn) {
  context.modules.recommender.settings.update({ servingPolicy: "heuristic", epsilon: 0 });
  const response = await context.request("/api/recommend", { method: "POST", headers: { cookie: person.cookie } });
  return (await response.json()).tip as { id: string; content: string };
}

describe("todoist webhooks", () => {
  test("item events keep the stored copy current and announce each change (which drops the candidate cache)", async () => {
    const { fake, context, account, person, url } = setup();
    const added = fake.addTask(account.id, { content: "From the phone", priority: 2 });
    const first = await fake.deliverWebhook(url, { name: "item:added", data: added });
    expect(first.status).toBe(200);
    expect(await first.response.json()).toEqual({ ok: true, result: "applied" });
    expect(storedTasks(context, person).map((task) => task.content)).toEqual(["From the phone"]);

    await Bun.sleep(2);
    const updated = fake.updateTask(account.id, added.id, { content: "From the phone, edited" });
    expect((await fake.deliverWebhook(url, { name: "item:updated", data: updated })).status).toBe(200);
    expect(storedTasks(context, person).map((task) => task.content)).toEqual(["From the phone, edited"]);
    // An older report arriving late changes nothing.
    expect((await fake.deliverWebhook(url, { name: "item:updated", data: added })).status).toBe(200);
    expect(storedTasks(context, person).map((task) => task.content)).toEqual(["From the phone, edited"]);

    const deleted = fake.deleteTask(account.id, added.id);
    expect((await fake.deliverWebhook(url, { name: "item:deleted", data: deleted })).status).toBe(200);
    expect(storedTasks(context, person)).toHaveLength(0);
    // A deletion that carries little more than the id still deletes.
    const other = fake.addTask(account.id, { content: "Short-lived" });
    await fake.deliverWebhook(url, { name: "item:added", data: other });
    expect(storedTasks(context, person)).toHaveLength(1);
    await fake.deliverWebhook(url, { name: "item:deleted", data: { id: other.id, user_id: account.id } });
    expect(storedTasks(context, person)).toHaveLength(0);

    const reopened = { ...updated, checked: false, completed_at: null, updated_at: new Date(Date.now() + 1000).toISOString() };
    expect((await fake.deliverWebhook(url, { name: "item:uncompleted", data: reopened })).status).toBe(200);
    expect(storedTasks(context, person)).toHaveLength(1);

    expect(syncedEvents(context, person)).toEqual([
      { provider: "todoist", total: 1, added: 1, updated: 0, removed: 0 },
      { provider: "todoist", total: 1, added: 0, updated: 1, removed: 0 },
      { provider: "todoist", total: 0, added: 0, updated: 0, removed: 1 },
      { provider: "todoist", total: 1, added: 1, updated: 0, removed: 0 },
      { provider: "todoist", total: 0, added: 0, updated: 0, removed: 1 },
      { provider: "todoist", total: 1, added: 1, updated: 0, removed: 0 },
    ]);
    expect(deliveries(context)).toHaveLength(7);
  });

  test("a bad or missing signature: 401 and nothing stored; the raw bytes are what is verified", async () => {
    const { fake, context, account, person, url } = setup();
    const task = fake.addTask(account.id, { content: "Sneaky" });
    const forged = await fake.deliverWebhook(url, { name: "item:added", data: task }, { secret: "not-the-secret" });
    expect(forged.status).toBe(401);
    expect((await forged.response.json()).error.code).toBe("bad_signature");

    // A body altered after signing, and a body with no signature at all.
    const body = JSON.stringify({ event_name: "item:added", user_id: account.id, event_data: task });
    const signature = createHmac("sha256", fake.clientSecret).update(body).digest("base64");
    const altered = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "x-todoist-hmac-sha256": signature, "x-todoist-delivery-id": "d-1" },
      body: body.replace("Sneaky", "Sneakier"),
    });
    expect(altered.status).toBe(401);
    const unsigned = await fetch(url, { method: "POST", headers: { "content-type": "application/json", "x-todoist-delivery-id": "d-2" }, body });
    expect(unsigned.status).toBe(401);
    expect(deliveries(context)).toHaveLength(0);
    expect(storedTasks(context, person)).toHaveLength(0);

    // Whitespace a re-serialisation would lose is part of what was signed; it verifies as sent.
    const spaced = `{ "event_name" : "item:added",\n  "user_id": "${account.id}", "event_data": ${JSON.stringify(task, null, 2)} }`;
    const accepted = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-todoist-hmac-sha256": createHmac("sha256", fake.clientSecret).update(spaced).digest("base64"),
        "x-todoist-delivery-id": "d-3",
        // Signed requests need no same-origin proof: the webhook is the one CSRF exemption.
        origin: "https://todoist.com",
      },
      body: spaced,
    });
    expect(accepted.status).toBe(200);
    expect(storedTasks(context, person).map((row) => row.content)).toEqual(["Sneaky"]);
    const crossSite = await fetch(url.replace(TODOIST_WEBHOOK, "/api/integrations/todoist/connect"), { method: "POST", headers: { origin: "https://todoist.com" } });
    expect(crossSite.status).toBe(403);
  });

  test("a replayed delivery is applied once; an unknown Todoist user is acknowledged and ignored", async () => {
    const { fake, context, account, person, url } = setup();
    const task = fake.addTask(account.id, { content: "Once" });
    const first = await fake.deliverWebhook(url, { name: "item:added", data: task });
    const replay = await fake.deliverWebhook(url, { name: "item:added", data: task }, { deliveryId: first.deliveryId });
    expect(replay.status).toBe(200);
    expect(await replay.response.json()).toEqual({ ok: true, result: "duplicate" });
    expect(syncedEvents(context, person)).toHaveLength(1);
    expect(deliveries(context)).toHaveLength(1);

    const stranger = fake.createUser();
    const foreign = fake.addTask(stranger.id, { content: "Not ours" });
    const ignored = await fake.deliverWebhook(url, { name: "item:added", data: foreign, userId: stranger.id });
    expect(ignored.status).toBe(200);
    expect(await ignored.response.json()).toEqual({ ok: true, result: "ignored" });
    expect(deliveries(context)).toHaveLength(1);
    expect(context.database.db.select().from(tasks).all().map((row) => row.content)).toEqual(["Once"]);
  });

  test("a completion in Todoist of a served tip is a delayed reward that reaches the bandit exactly once", async () => {
    const { fake, context, module, account, person, url } = setup({ PYTHON: "python3", ML_TIMEOUT_MS: "2000" });
    fake.addTask(account.id, { content: "File the taxes", priority: 4, due: { date: "2020-01-01" } });
    await module.sync.syncUser(person.userId);
    const tip = await recommendTask(context, person);
    expect(tip.content).toBe("File the taxes");
    const [task] = fake.activeTasks(account.id);

    const completed = fake.completeTask(account.id, task!.id);
    const delivery = await fake.deliverWebhook(url, { name: "item:completed", data: completed });
    expect(delivery.status).toBe(200);
    await module.idle();
    await context.modules.recommender.idle();

    const pulls = () =>
      context.database.db
        .select({ pulls: banditStates.pulls })
        .from(banditStates)
        .where(and(eq(banditStates.userId, person.userId), eq(banditStates.policy, "linucb")))
        .get()?.pulls;
    expect(pulls()).toBe(1);
    const feedback = context.database.db.select().from(tipFeedback).where(eq(tipFeedback.userId, person.userId)).all();
    expect(feedback).toHaveLength(1);
    expect(feedback[0]).toMatchObject({ tipId: tip.id, action: "done", reward: 1, source: "todoist_webhook" });
    expect(feedback[0]!.banditAppliedAt).not.toBeNull();
    expect(storedTasks(context, person)).toHaveLength(0);
    // Completed upstream already: nothing is sent back to close it.
    expect(context.database.sqlite.query("SELECT count(*) AS n FROM outbox").get()).toEqual({ n: 0 });
    // The person did nothing in oO: no "Done · Undo" for them, and an undo finds nothing of theirs.
    expect(context.modules.recommender.feedback.undoable(person.userId)).toBeNull();
    const undo = await context.request(`/api/tip/${tip.id}/undo`, { method: "POST", headers: { cookie: person.cookie } });
    expect(undo.status).toBe(404);

    // Todoist retries the delivery, then sends the same event under a new delivery id.
    await fake.deliverWebhook(url, { name: "item:completed", data: completed }, { deliveryId: delivery.deliveryId });
    await fake.deliverWebhook(url, { name: "item:completed", data: completed });
    await module.idle();
    await context.modules.recommender.idle();
    expect(pulls()).toBe(1);
    expect(context.database.db.select().from(tipFeedback).all()).toHaveLength(1);
  });

  test("a completion a sync finds (no webhook) credits the served tip once; a deletion credits nothing; the webhook that follows adds nothing", async () => {
    const { fake, context, module, account, person, url } = setup({ PYTHON: "python3", ML_TIMEOUT_MS: "2000" });
    fake.addTask(account.id, { content: "File the taxes", priority: 4, due: { date: "2020-01-01" } });
    fake.addTask(account.id, { content: "Sort the drawer", priority: 3, due: { date: "2020-01-02" } });
    await module.sync.syncUser(person.userId);
    const tip = await recommendTask(context, person);
    expect(tip.content).toBe("File the taxes");
    const [taxes, drawer] = fake.activeTasks(account.id);

    const completed = fake.completeTask(account.id, taxes!.id);
    await module.sync.syncUser(person.userId);
    await module.idle();
    await context.modules.recommender.idle();
    const rows = () => context.database.db.select().from(tipFeedback).where(eq(tipFeedback.userId, person.userId)).all();
    expect(rows()).toMatchObject([{ tipId: tip.id, action: "done", reward: 1, source: "todoist_sync", banditAppliedAt: expect.any(Number) }]);
    const pulls = () => context.modules.recommender.bandits.get(person.userId, "linucb")?.pulls;
    expect(pulls()).toBe(1);
    // Completed upstream already: nothing is sent back to close it.
    expect(context.database.sqlite.query("SELECT count(*) AS n FROM outbox").get()).toEqual({ n: 0 });
    // The person did nothing in oO: no "Done · Undo" for them, and an undo finds nothing of theirs.
    expect(context.modules.recommender.feedback.undoable(person.userId)).toBeNull();
    const undo = await context.request(`/api/tip/${tip.id}/undo`, { method: "POST", headers: { cookie: person.cookie } });
    expect(undo.status).toBe(404);

    // Todoist's webhook for the same completion comes late, and another sync runs: still one reward.
    await fake.deliverWebhook(url, { name: "item:completed", data: completed });
    await module.sync.syncUser(person.userId);
    await module.idle();
    await context.modules.recommender.idle();
    expect(rows()).toHaveLength(1);
    expect(pulls()).toBe(1);

    // A shown task deleted in Todoist is no completion: asked, Todoist answers 404, and nothing is credited.
    const second = await recommendTask(context, person);
    expect(second.content).toBe("Sort the drawer");
    fake.deleteTask(account.id, drawer!.id);
    const asked = fake.count("GET", new RegExp(`/tasks/${drawer!.id}$`));
    await module.sync.syncUser(person.userId);
    await module.idle();
    expect(fake.count("GET", new RegExp(`/tasks/${drawer!.id}$`))).toBe(asked + 1);
    expect(rows()).toHaveLength(1);
  });

  test("no reward for a tip already answered in oO, served over 24 h ago, or never served", async () => {
    const { fake, context, module, account, person, url } = setup();
    const [answered, old, unseen] = ["Answered", "Old", "Unseen"].map((content, index) =>
      fake.addTask(account.id, { content, priority: 4 - index, due: { date: "2020-01-01" } }),
    );
    await module.sync.syncUser(person.userId);
    const first = await recommendTask(context, person);
    expect(first.content).toBe("Answered");
    await context.request(`/api/tip/${first.id}/feedback`, {
      method: "POST",
      headers: { cookie: person.cookie, "content-type": "application/json" },
      body: JSON.stringify({ action: "done" }),
    });
    await module.idle();
    const second = await recommendTask(context, person);
    expect(second.content).toBe("Old");
    context.database.sqlite.run("UPDATE tip_views SET served_at = ? WHERE id = ?", [Date.now() - 25 * 3_600_000, second.id]);

    for (const task of [answered!, old!, unseen!]) {
      await fake.deliverWebhook(url, { name: "item:completed", data: fake.completeTask(account.id, task.id) });
    }
    await module.idle();
    const feedback = context.database.db.select().from(tipFeedback).all();
    expect(feedback.map((row) => row.source)).toEqual(["user"]);
  });

  test("a recurring task completed in Todoist: rewarded, and its next occurrence shows again on the day it is due", async () => {
    const { fake, context, module, account, person, url } = setup();
    fake.addTask(account.id, { content: "Stretch", priority: 4, due: { date: "2020-01-01", string: "every day", is_recurring: true } });
    await module.sync.syncUser(person.userId);
    const tip = await recommendTask(context, person);
    expect(tip.content).toBe("Stretch");
    const [task] = fake.activeTasks(account.id);
    await Bun.sleep(5);
    await fake.deliverWebhook(url, { name: "item:completed", data: fake.completeTask(account.id, task!.id) });
    await module.idle();
    expect(context.database.db.select().from(tipFeedback).all().map((row) => row.source)).toEqual(["todoist_webhook"]);
    const [stored] = storedTasks(context, person);
    expect(stored!.dueValue! > "2020-01-01").toBe(true);
    const shows = (at: number) => context.modules.recommender.pool.visible(person.userId, "UTC", at).some((candidate) => candidate.key === `task:todoist:${task!.id}`);
    // Done today, it is not suggested again today; it is from the day it is due again.
    const dayStarts = Date.parse(`${stored!.dueValue!.slice(0, 10)}T00:00:00Z`);
    expect(dayStarts).toBeGreaterThan(Date.now());
    expect(shows(Date.now())).toBe(false);
    expect(shows(dayStarts)).toBe(true);
  });
});
