import { afterEach, expect } from "bun:test";
import { eq } from "drizzle-orm";
import { tasks, tipFeedback, tipViews } from "../db/schema.ts";
import { unpackScores } from "../recommender/context.ts";
import { FEATURE_VERSION } from "../recommender/features.ts";
import type { BanditState } from "../ml/protocol.ts";
import type { SignedIn } from "./auth.ts";
import { createTestApp, type TestContext, tempDir } from "./harness.ts";

/**
 * Apps for tests of tips and their rewards, closed after each test: a real python3 scorer unless
 * `python: false`, LinUCB serving without exploration.
 */
export function tipApps() {
  const contexts: TestContext[] = [];
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });
  return {
    app(options: { python?: boolean; env?: Record<string, string> } = {}) {
      const dir = tempDir();
      cleanups.push(() => dir.cleanup());
      const context = createTestApp({
        DATA_DIR: dir.path,
        ...(options.python === false ? {} : { PYTHON: "python3", ML_TIMEOUT_MS: "2000" }),
        ...options.env,
      });
      contexts.push(context);
      context.modules.recommender.settings.update({ servingPolicy: "linucb", epsilon: 0 });
      return context;
    },
    /** Runs after each test, after the apps are closed. */
    cleanup(step: () => unknown) {
      cleanups.push(step);
    },
  };
}

/** Open tasks straight into the person's stored copy, most urgent first. */
export function seedTasks(context: TestContext, userId: string, contents: string[]) {
  const now = Date.now();
  context.database.db
    .insert(tasks)
    .values(contents.map((content, index) => ({ userId, provider: "todoist", externalId: `t${index}`, content, priority: 4 - index, syncedAt: now })))
    .run();
  context.modules.recommender.pool.invalidate(userId);
}

export const post = (person: SignedIn, body?: unknown, headers: Record<string, string> = {}) => ({
  method: "POST",
  headers: { cookie: person.cookie, ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
  body: body === undefined ? undefined : JSON.stringify(body),
});

/** The tip page and the id of the tip on it. */
export async function currentTip(context: TestContext, person: SignedIn) {
  const page = await (await context.request("/", { headers: { cookie: person.cookie } })).text();
  return { page, id: /data-tip-id="([^"]+)"/.exec(page)![1]! };
}

export const react = (context: TestContext, person: SignedIn, tipId: string, action: string) =>
  context.request(`/api/tip/${tipId}/feedback`, post(person, { action }));

/** Every reaction row of a tip, oldest first. */
export const reactions = (context: TestContext, tipId: string) =>
  context.database.db.select().from(tipFeedback).where(eq(tipFeedback.tipId, tipId)).orderBy(tipFeedback.id).all();

/** The same LinUCB model to 12 decimals; `null` expects a fresh one. */
export function expectSameModel(actual: BanditState | null, expected: BanditState | null) {
  if (expected === null) {
    // A fresh model: the identity and nothing learnt.
    expect(actual!.pulls).toBe(0);
    actual!.A_inv.forEach((row, i) => row.forEach((value, j) => expect(value).toBeCloseTo(i === j ? 1 : 0, 12)));
    actual!.b.forEach((value) => expect(value).toBeCloseTo(0, 12));
    return;
  }
  expect(actual!.pulls).toBe(expected.pulls);
  expect(actual!.reward_sum).toBeCloseTo(expected.reward_sum, 12);
  actual!.A_inv.forEach((row, i) => row.forEach((value, j) => expect(value).toBeCloseTo(expected.A_inv[i]![j]!, 12)));
  actual!.b.forEach((value, i) => expect(value).toBeCloseTo(expected.b[i]!, 12));
}

/**
 * A tip's decision as the log keeps it: every candidate's key and (serving version) vector, the
 * served candidate's vector, and the tip's row with the serving policy's scores unpacked.
 */
export function loggedDecision(context: TestContext, tipId: string) {
  const decision = context.modules.recommender.decisionLog(0, FEATURE_VERSION).find((logged) => logged.tipId === tipId)!;
  const vectors = decision.vectors!;
  const row = context.database.db.select().from(tipViews).where(eq(tipViews.id, tipId)).get()!;
  return { ...decision, vectors, x: vectors[decision.candidates.indexOf(decision.servedKey)]!, row: { ...row, scores: unpackScores(row.scores!) } };
}
