import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { outbox, tasks } from "../db/schema.ts";
import type { FakeTodoist } from "../testing/fake-todoist.ts";
import { signIn, type SignedIn } from "../testing/auth.ts";
import { createTestApp, type TestContext, tempDir } from "../testing/harness.ts";
import { connectAccount, startTodoist } from "../testing/integrations.ts";

const contexts: TestContext[] = [];
const fakes: FakeTodoist[] = [];
afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close();
  await Promise.all(fakes.splice(0).map((fake) => fake.stop()));
});

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";

/** Closes go out at once here: no undo window holds them (the undo tests cover the hold). */
function app(fake: FakeTodoist, databasePath?: string) {
  const context = createTestApp({ ...fake.env, UNDO_SECONDS: "0" }, databasePath);
  contexts.push(context);
  context.modules.recommender.settings.update({ servingPolicy: "heuristic", epsilon: 0 });
  return { context, module: context.modules.integrations };
}

async function recommend(context: TestContext, person: SignedIn) {
  const response = await context.request("/api/recommend", { method: "POST", headers: { cookie: person.cookie } });
  return (await response.json()).tip as { id: string; content: string; kind: string };
}

const closes = (fake: FakeTodoist) => fake.requests.filter((request) => request.method === "POST" && request.path.endsWith("/close"));
const outboxRows = (context: TestContext) => context.database.db.select().from(outbox).all();

describe("done closes the task in Todoist", () => {
  test("Todoist down, a restart, Todoist up: closed exactly once, the tip never comes back meanwhile", async () => {
    const dir = tempDir();
    try {
      const path = join(dir.path, "oo.db");
      const fake = startTodoist();
      fakes.push(fake);
      const account = fake.createUser({
        tasks: [
          { content: "Water the plants", priority: 4, due: { date: "2020-01-01", string: "every day", is_recurring: true } },
          { content: "Read a chapter" },
        ],
      });
      const first = app(fake, path);
      const person = connectAccount(first.context, account);
      await first.module.sync.syncUser(person.userId);
      const tip = await recommend(first.context, person);
      expect(tip.content).toBe("Water the plants");
      const taskId = fake.activeTasks(account.id).find((task) => task.content === "Water the plants")!.id;

      // Todoist refuses closes (reads still work, so the sync below really runs).
      const outage = fake.onRequest((request) => {
        if (request.path.endsWith("/close")) fake.failNext(1, 503);
      });
      const done = await first.context.request(`/api/tip/${tip.id}/feedback`, {
        method: "POST",
        headers: { cookie: person.cookie, "content-type": "application/json", traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` },
        body: JSON.stringify({ action: "done" }),
      });
      expect(done.status).toBe(200);
      await first.module.idle();
      expect(closes(fake)).toHaveLength(1);
      const [pending] = outboxRows(first.context);
      expect(pending).toMatchObject({ userId: person.userId, kind: "todoist.close_task", attempts: 1, doneAt: null });
      expect(pending!.payload.taskId).toBe(taskId);
      expect(pending!.lastError).toBe("Todoist close task: HTTP 503 (SERVICE_ERROR)");
      const wait = pending!.nextAttemptAt - Date.now();
      expect(wait).toBeGreaterThan(2_000);
      expect(wait).toBeLessThanOrEqual(5_000);

      // Hidden at once; an edit in Todoist while the close is pending does not bring it back.
      expect((await recommend(first.context, person)).content).not.toBe("Water the plants");
      fake.updateTask(account.id, taskId, { content: "Water the plants (and the cactus)" });
      await first.context.jobs.trigger("todoist.sync");
      const stored = first.context.database.db.select().from(tasks).where(eq(tasks.externalId, taskId)).get()!;
      expect(stored.content).toBe("Water the plants");
      expect((await recommend(first.context, person)).content).not.toContain("Water the plants");

      // Restart: a new process on the same database file.
      await first.context.close();
      contexts.splice(contexts.indexOf(first.context), 1);
      outage();
      const dueBefore = fake.task(account.id, taskId)!.due!.date;

      const second = app(fake, path);
      expect(outboxRows(second.context)).toHaveLength(1);
      // Not before its backoff.
      await second.context.jobs.trigger("outbox.drain");
      expect(closes(fake)).toHaveLength(1);
      second.context.database.sqlite.run("UPDATE outbox SET next_attempt_at = 0");
      await second.context.jobs.trigger("outbox.drain");
      expect(closes(fake)).toHaveLength(2);
      const [delivered] = outboxRows(second.context);
      expect(delivered!.doneAt).not.toBeNull();
      expect(delivered!.attempts).toBe(2);
      expect(delivered!.lastError).toBeNull();
      const dueAfter = fake.task(account.id, taskId)!.due!.date;
      expect(dueAfter > dueBefore).toBe(true);

      // Both attempts carried the row id, and the trace of the request that said "done".
      for (const request of closes(fake)) {
        expect(request.headers["x-request-id"]).toBe(`oo-outbox-${delivered!.id}`);
        expect(request.headers.traceparent).toStartWith(`00-${TRACE_ID}-`);
      }
      // An answer lost on the way back: the same close again is recognised upstream and changes nothing.
      second.context.database.sqlite.run("UPDATE outbox SET done_at = NULL, next_attempt_at = 0");
      await second.context.jobs.trigger("outbox.drain");
      expect(closes(fake)).toHaveLength(3);
      expect(fake.task(account.id, taskId)!.due!.date).toBe(dueAfter);

      // Once Todoist has it, the next sync shows the next occurrence.
      await second.module.sync.syncUser(person.userId);
      const next = second.context.database.db.select().from(tasks).where(eq(tasks.externalId, taskId)).get()!;
      expect(next.content).toBe("Water the plants (and the cactus)");
      expect(next.dueValue).toBe(dueAfter);
    } finally {
      dir.cleanup();
    }
  });

  test("a task deleted in Todoist meanwhile: the 404 ends the close", async () => {
    const fake = startTodoist();
    fakes.push(fake);
    const account = fake.createUser({ tasks: [{ content: "Gone soon" }] });
    const { context, module } = app(fake);
    const person = connectAccount(context, account);
    const [task] = fake.activeTasks(account.id);
    fake.deleteTask(account.id, task!.id);
    module.closes.enqueue(person.userId, task!.id);
    await module.idle();
    expect(outboxRows(context)[0]).toMatchObject({ lastError: "task gone", attempts: 1 });
    expect(outboxRows(context)[0]!.doneAt).not.toBeNull();
  });

  test("backoff doubles; a needs-reconnect grant waits; a grant that is gone drops the close", async () => {
    const fake = startTodoist();
    fakes.push(fake);
    const account = fake.createUser({ tasks: [{ content: "Stubborn" }] });
    const { context, module } = app(fake);
    const person = connectAccount(context, account);
    const [task] = fake.activeTasks(account.id);
    fake.failNext(2, 500);
    module.closes.enqueue(person.userId, task!.id);
    // A second "done" for the same task while one is pending does not queue another.
    module.closes.enqueue(person.userId, task!.id);
    await module.idle();
    expect(outboxRows(context)).toHaveLength(1);
    context.database.sqlite.run("UPDATE outbox SET next_attempt_at = 0");
    await context.runtime.outbox.kick();
    const row = outboxRows(context)[0]!;
    expect(row.attempts).toBe(2);
    expect(row.nextAttemptAt - Date.now()).toBeGreaterThan(4_500);
    expect(row.nextAttemptAt - Date.now()).toBeLessThanOrEqual(10_000);

    module.store.markNeedsReconnect(person.userId, "todoist", "test");
    context.database.sqlite.run("UPDATE outbox SET next_attempt_at = 0");
    await context.runtime.outbox.kick();
    expect(outboxRows(context)[0]).toMatchObject({ attempts: 3, doneAt: null, lastError: "Todoist needs reconnecting" });
    expect(closes(fake)).toHaveLength(2);

    context.database.sqlite.run("DELETE FROM integrations");
    context.database.sqlite.run("UPDATE outbox SET next_attempt_at = 0");
    await context.runtime.outbox.kick();
    expect(outboxRows(context)[0]).toMatchObject({ lastError: "integration gone" });
    expect(outboxRows(context)[0]!.doneAt).not.toBeNull();
    expect(module.closes.enqueue(person.userId, task!.id)).toBeNull();
  });
});
