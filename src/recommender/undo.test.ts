import { afterEach, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { candidateStates, events, outbox, tasks, tipViews } from "../db/schema.ts";
import { signIn, type SignedIn } from "../testing/auth.ts";
import type { FakeTodoist } from "../testing/fake-todoist.ts";
import type { TestContext } from "../testing/harness.ts";
import { connectAccount, startTodoist } from "../testing/integrations.ts";
import { currentTip, expectSameModel, post, react, reactions, seedTasks, tipApps } from "../testing/tips.ts";

const { app } = tipApps();
const undo = (context: TestContext, person: SignedIn, tipId: string) => context.request(`/api/tip/${tipId}/undo`, post(person));

describe("undo", () => {
  test("after an admin's reset, a reward in flight does not land on the fresh model, and no undo takes anything out of it", async () => {
    const context = app();
    const { bandits, feedback, idle } = context.modules.recommender;
    const person = signIn(context.database);
    seedTasks(context, person.userId, ["File the tax return", "Call the dentist", "Water the plants", "Book the flights"]);
    const problems = () => context.lines.filter((line) => ["warn", "error", "fatal"].includes(line.level as string));

    // Applied before the reset.
    const applied = await currentTip(context, person);
    expect((await react(context, person, applied.id, "helpful")).status).toBe(200);
    await idle();
    expect(bandits.get(person.userId, "linucb")!.pulls).toBe(1);
    // Waiting for the scorer when the reset comes (as while it was away).
    const waiting = await currentTip(context, person);
    expect((await react(context, person, waiting.id, "snooze")).status).toBe(200);
    await idle();
    context.database.sqlite.run("UPDATE tip_feedback SET bandit_applied_at = NULL WHERE tip_id = ?", [waiting.id]);
    // On its way to the scorer when the reset comes: the reset waits for it, then clears it too.
    const inFlight = await currentTip(context, person);
    const giving = feedback.give(person.userId, inFlight.id, "done");
    expect(await feedback.resetLearning(person.userId)).toBe(1);
    await giving;
    await idle();
    expect(bandits.get(person.userId, "linucb")).toBeNull();

    // Undone afterwards, or replayed by the backlog: nothing is taken out of (or put into) the fresh model.
    const before = problems();
    expect((await undo(context, person, inFlight.id)).status).toBe(200);
    await feedback.applyBacklog();
    await idle();
    expect(bandits.get(person.userId, "linucb")).toBeNull();
    expect(problems()).toEqual(before);
    for (const tip of [applied, waiting, inFlight]) {
      expect(reactions(context, tip.id)[0]).toMatchObject({ banditAppliedAt: expect.any(Number), banditRevertedAt: expect.any(Number) });
    }

    // What comes after the reset teaches the fresh model, from nothing.
    const next = await currentTip(context, person);
    expect((await react(context, person, next.id, "done")).status).toBe(200);
    await idle();
    expect(bandits.get(person.userId, "linucb")!.pulls).toBe(1);
  });

  test("brings the tip back, puts its visibility back, takes the reward out of the bandit exactly, and keeps the reaction as history", async () => {
    const context = app();
    const { bandits, recommender } = context.modules.recommender;
    const person = signIn(context.database);
    seedTasks(context, person.userId, ["File the tax return", "Call the dentist", "Water the plants"]);

    // A first reaction that stays: the model after it is what the undo must return to.
    const first = await currentTip(context, person);
    expect((await react(context, person, first.id, "helpful")).status).toBe(200);
    await context.modules.recommender.idle();
    const learnt = structuredClone(bandits.get(person.userId, "linucb"));
    expect(learnt!.pulls).toBe(1);

    const shown = await currentTip(context, person);
    const view = context.database.db.select().from(tipViews).where(eq(tipViews.id, shown.id)).get()!;
    expect((await react(context, person, shown.id, "dismiss")).status).toBe(200);
    await context.modules.recommender.idle();
    expect(bandits.get(person.userId, "linucb")!.pulls).toBe(2);
    const next = await currentTip(context, person);
    expect(next.id).not.toBe(shown.id);
    expect(next.page).toContain(`action="/tip/${shown.id}/undo"`);
    expect(next.page).toContain("Dismissed");

    const response = await undo(context, person, shown.id);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, duplicate: false });
    await context.modules.recommender.idle();

    // The same tip is on screen again, without an undo of the action before (it would read as this tip's).
    const restored = await currentTip(context, person);
    expect(restored.id).toBe(shown.id);
    expect(restored.page).not.toContain('class="undo"');
    expect(context.modules.recommender.feedback.undoable(person.userId)).toBeNull();
    expect((await recommender.current({ id: person.userId, timezone: "UTC" })).id).toBe(shown.id);
    const state = context.database.db
      .select()
      .from(candidateStates)
      .where(and(eq(candidateStates.userId, person.userId), eq(candidateStates.candidateKey, view.candidateKey)))
      .get();
    expect(state).toBeUndefined();
    expectSameModel(bandits.get(person.userId, "linucb"), learnt);

    const [undone] = reactions(context, shown.id);
    expect(undone).toMatchObject({ action: "dismiss", reward: -1, priorState: null });
    expect(undone!.undoneAt).toBeNumber();
    expect(undone!.banditRevertedAt).toBeNumber();
    const undoneEvents = context.database.db.select().from(events).where(eq(events.subject, "signals.tip.undone")).all();
    expect(undoneEvents).toHaveLength(1);
    expect(JSON.parse(undoneEvents[0]!.payload)).toMatchObject({ tipId: shown.id, action: "dismiss" });

    // The restored tip takes a new reaction, its own row beside the undone one.
    expect((await react(context, person, shown.id, "snooze")).status).toBe(200);
    expect(reactions(context, shown.id).map((row) => [row.action, row.undoneAt === null])).toEqual([
      ["dismiss", false],
      ["snooze", true],
    ]);
  });

  test("an undo of a reward the bandit never had (the scorer was away) is only marked, and the backlog never applies it", async () => {
    const context = app({ python: false });
    const person = signIn(context.database);
    const shown = await currentTip(context, person);
    await react(context, person, shown.id, "done");
    expect(reactions(context, shown.id)[0]!.banditAppliedAt).toBeNull();
    expect((await undo(context, person, shown.id)).status).toBe(200);
    const [row] = reactions(context, shown.id);
    expect(row!.banditAppliedAt).toBeNull();
    expect(row!.banditRevertedAt).toBeNumber();
    expect(await context.modules.recommender.feedback.applyBacklog()).toEqual({ applied: 0, pending: 0 });
  });

  test("only the last action, only in its window, only your own; a repeat changes nothing", async () => {
    const context = app({ python: false });
    const { feedback } = context.modules.recommender;
    const person = signIn(context.database);
    const stranger = signIn(context.database);
    const first = await currentTip(context, person);
    await react(context, person, first.id, "snooze");
    const second = await currentTip(context, person);
    await react(context, person, second.id, "snooze");

    const older = await undo(context, person, first.id);
    expect(older.status).toBe(409);
    expect((await older.json()).error).toEqual({ code: "undo_not_latest", message: "Only your last action can be undone." });
    expect((await undo(context, stranger, second.id)).status).toBe(404);
    expect((await undo(context, person, "no-such-tip")).status).toBe(404);

    const at = reactions(context, second.id)[0]!.at;
    await expect(feedback.undo(person.userId, second.id, { now: at + 30_000 })).rejects.toMatchObject({ code: "undo_expired" });
    expect(feedback.undoable(person.userId, at + 30_000)).toBeNull();
    expect(feedback.undoable(person.userId, at + 29_000)).toMatchObject({ tipId: second.id, action: "snooze" });
    expect(reactions(context, second.id)[0]!.undoneAt).toBeNull();

    expect(await (await undo(context, person, second.id)).json()).toEqual({ ok: true, duplicate: false });
    expect(await (await undo(context, person, second.id)).json()).toEqual({ ok: true, duplicate: true });
    // With the last one undone, the one before is the latest again, and can be undone while its window lasts.
    expect((await undo(context, person, first.id)).status).toBe(200);
  });

  test("UNDO_SECONDS=0: no undo is offered or accepted", async () => {
    const context = app({ python: false, env: { UNDO_SECONDS: "0" } });
    const person = signIn(context.database);
    const shown = await currentTip(context, person);
    await react(context, person, shown.id, "snooze");
    expect((await currentTip(context, person)).page).not.toContain("/undo");
    expect((await undo(context, person, shown.id)).status).toBe(409);
  });

  test("without JavaScript: the page after an action carries the undo as a form, which brings the tip back", async () => {
    const context = app({ python: false });
    const person = signIn(context.database);
    const shown = await currentTip(context, person);
    const form = { method: "POST", headers: { cookie: person.cookie, "content-type": "application/x-www-form-urlencoded" } };
    const acted = await context.request(`/tip/${shown.id}/feedback`, { ...form, body: "action=snooze" });
    expect(acted.status).toBe(303);
    const after = await currentTip(context, person);
    expect(after.page).toContain(`<form class="undo" method="post" action="/tip/${shown.id}/undo"`);
    expect(after.page).toContain("Snoozed");
    const undone = await context.request(`/tip/${shown.id}/undo`, { ...form, body: "" });
    expect(undone.status).toBe(303);
    expect(undone.headers.get("location")).toBe("/");
    const back = await currentTip(context, person);
    expect(back.id).toBe(shown.id);
    expect(back.page).not.toContain('class="undo"');
  });

  test("a late undo without JavaScript comes back to the tip with a word, not an error page", async () => {
    const context = app({ python: false, env: { UNDO_SECONDS: "1" } });
    const person = signIn(context.database);
    const shown = await currentTip(context, person);
    const form = { method: "POST", headers: { cookie: person.cookie, "content-type": "application/x-www-form-urlencoded" } };
    await context.request(`/tip/${shown.id}/feedback`, { ...form, body: "action=snooze" });
    await Bun.sleep(1100);
    const late = await context.request(`/tip/${shown.id}/undo`, { ...form, body: "" });
    expect(late.status).toBe(303);
    expect(late.headers.get("location")).toBe("/?notice=undo-late");
    const page = await (await context.request("/?notice=undo-late", { headers: { cookie: person.cookie } })).text();
    expect(page).toContain("Too late to undo that.");
    expect(reactions(context, shown.id)[0]!.undoneAt).toBeNull();
    // Only notices the page knows are shown.
    expect(await (await context.request("/?notice=%3Cscript%3E", { headers: { cookie: person.cookie } })).text()).not.toContain("notice-line");
  });

  test("an action on a tip answered elsewhere says so, and offers no undo of what it did not do", async () => {
    const context = app({ python: false });
    const person = signIn(context.database);
    const shown = await currentTip(context, person);
    await react(context, person, shown.id, "snooze"); // on the phone
    const htmx = { "hx-request": "true", "content-type": "application/x-www-form-urlencoded" };
    const card = await (await context.request(`/tip/${shown.id}/feedback`, { ...post(person, undefined, htmx), body: "action=done" })).text();
    expect(card).toContain("That tip was already answered, on another device or tab.");
    expect(card).not.toContain("/undo");
    expect(reactions(context, shown.id).map((row) => row.action)).toEqual(["snooze"]);
    const form = { method: "POST", headers: { cookie: person.cookie, "content-type": "application/x-www-form-urlencoded" } };
    const plain = await context.request(`/tip/${shown.id}/feedback`, { ...form, body: "action=done" });
    expect(plain.headers.get("location")).toBe("/?notice=answered");
  });

  test("with htmx: the undo answers with the restored tip's card", async () => {
    const context = app({ python: false });
    const person = signIn(context.database);
    const shown = await currentTip(context, person);
    const htmx = { "hx-request": "true", "content-type": "application/x-www-form-urlencoded" };
    const acted = await (await context.request(`/tip/${shown.id}/feedback`, { ...post(person, undefined, htmx), body: "action=dismiss" })).text();
    expect(acted).toContain(`hx-post="/tip/${shown.id}/undo"`);
    const card = await (await context.request(`/tip/${shown.id}/undo`, post(person, undefined, { "hx-request": "true" }))).text();
    expect(card.startsWith('<section id="tip"')).toBe(true);
    expect(card).toContain(`data-tip-id="${shown.id}"`);
  });
});

describe("undo of a done in Todoist", () => {
  const fakes: FakeTodoist[] = [];
  afterEach(async () => {
    await Promise.all(fakes.splice(0).map((fake) => fake.stop()));
  });

  function todoistApp() {
    const fake = startTodoist();
    fakes.push(fake);
    const context = app({ python: false, env: fake.env });
    context.modules.recommender.settings.update({ servingPolicy: "heuristic" });
    // Overdue, so it outranks any advice at any hour of the day.
    const account = fake.createUser({ tasks: [{ content: "Renew the passport", priority: 4, due: { date: "2020-01-01" } }] });
    const person = connectAccount(context, account);
    return { fake, context, account, person };
  }

  const closeRequests = (fake: FakeTodoist) => fake.requests.filter((request) => request.path.endsWith("/close"));

  test("a done is held for the undo window; undone in time, Todoist never hears of it", async () => {
    const { fake, context, account, person } = todoistApp();
    await context.modules.integrations.sync.syncUser(person.userId);
    const shown = await currentTip(context, person);
    expect(shown.page).toContain("Renew the passport");
    await react(context, person, shown.id, "done");
    await context.modules.integrations.idle();
    const [held] = context.database.db.select().from(outbox).all();
    expect(held!.nextAttemptAt).toBeGreaterThan(Date.now() + 25_000);
    expect(closeRequests(fake)).toHaveLength(0);

    expect((await undo(context, person, shown.id)).status).toBe(200);
    const [withdrawn] = context.database.db.select().from(outbox).all();
    expect(withdrawn!.doneAt).toBeNumber();
    expect(withdrawn!.lastError).toBe("withdrawn: the done was undone");
    await context.modules.integrations.idle();
    expect(closeRequests(fake)).toHaveLength(0);
    expect(fake.activeTasks(account.id).map((task) => task.content)).toEqual(["Renew the passport"]);
    expect((await currentTip(context, person)).id).toBe(shown.id);
  });

  test("a close that went out already (the undo came at the window's very end) is followed by a reopen, and the task comes back", async () => {
    const { fake, context, account, person } = todoistApp();
    await context.modules.integrations.sync.syncUser(person.userId);
    const shown = await currentTip(context, person);
    await react(context, person, shown.id, "done");
    // The hold runs out: the close is delivered, and a sync drops the closed task.
    context.database.db.update(outbox).set({ nextAttemptAt: 0 }).run();
    await context.runtime.outbox.kick();
    expect(closeRequests(fake)).toHaveLength(1);
    expect(fake.activeTasks(account.id)).toHaveLength(0);
    await context.modules.integrations.sync.syncUser(person.userId);
    expect(context.database.db.select().from(tasks).where(eq(tasks.userId, person.userId)).all()).toHaveLength(0);

    expect((await undo(context, person, shown.id)).status).toBe(200);
    await context.modules.integrations.idle();
    expect(fake.requests.filter((request) => request.path.endsWith("/reopen"))).toHaveLength(1);
    expect(fake.activeTasks(account.id).map((task) => task.content)).toEqual(["Renew the passport"]);
    // The reopen's sync brought the task back, and the restored tip is on screen.
    expect(context.database.db.select({ content: tasks.content }).from(tasks).where(eq(tasks.userId, person.userId)).all()).toEqual([
      { content: "Renew the passport" },
    ]);
    expect((await currentTip(context, person)).id).toBe(shown.id);
  });
});
