import { describe, expect, test } from "bun:test";
import type { Candidate } from "./candidates/index.ts";
import { dueInstant } from "../time.ts";
import { storedDue } from "../integrations/task-source.ts";
import { clockAt, featuresOf } from "./features.ts";
import { heuristicPolicy } from "./policies/heuristic.ts";
import { randomPolicy } from "./policies/random.ts";
import { epsilonGreedy } from "./policies/types.ts";
import { ALL_CLEAR, explain } from "./recommend.ts";

const DAY = 86_400_000;
// Wednesday 2026-11-18 07:30 UTC.
const NOW = Date.UTC(2026, 10, 18, 7, 30);

const task = (overrides: Partial<Candidate>): Candidate => ({
  key: `task:todoist:${Math.random().toString(36).slice(2)}`,
  kind: "todo",
  source: "todoist",
  content: "a task",
  priority: 1,
  dueAt: null,
  addedAt: NOW - 2 * DAY,
  changedAt: NOW - DAY,
  ...overrides,
});

/** A deterministic stand-in for Math.random. */
const sequence = (...values: number[]) => {
  let index = 0;
  return () => values[index++ % values.length]!;
};

describe("features", () => {
  test("f1: five entries, each in [0, 1]", () => {
    const clock = clockAt(NOW, "UTC");
    const vector = featuresOf(task({ dueAt: NOW - DAY, priority: 4, addedAt: NOW - 90 * DAY }), clock, "f1");
    expect(vector).toEqual([1, 1, 1, 0.3043, 0.3333]);
    for (const value of featuresOf(task({}), clock, "f1")) expect(value >= 0 && value <= 1).toBe(true);
  });

  test("hour and weekday are the user's, not the server's", () => {
    const tokyo = featuresOf(task({}), clockAt(NOW, "Asia/Tokyo"), "f1"); // 16:30 Wednesday
    const honolulu = featuresOf(task({}), clockAt(NOW, "Pacific/Honolulu"), "f1"); // 21:30 Tuesday
    expect(tokyo[3]).toBeCloseTo(16 / 23, 3);
    expect(tokyo[4]).toBeCloseTo(2 / 6, 3);
    expect(honolulu[3]).toBeCloseTo(21 / 23, 3);
    expect(honolulu[4]).toBeCloseTo(1 / 6, 3);
  });

  test("an all-day due date is overdue only once the day is over where the user lives", () => {
    const dueToday = storedDue({ dueKind: "date", dueValue: "2026-11-18", dueTimezone: null, dueIsRecurring: false, dueString: null });
    // At 07:30 UTC it is the morning of the 18th in London and 21:30 on the 18th in Kiritimati (UTC+14).
    const london = dueInstant(dueToday, "Europe/London")!;
    const kiritimati = dueInstant(dueToday, "Pacific/Kiritimati")!;
    expect(london).toBe(Date.UTC(2026, 10, 19) - 1);
    expect(kiritimati).toBe(Date.UTC(2026, 10, 18, 10) - 1);
    expect(featuresOf(task({ dueAt: london }), clockAt(NOW, "Europe/London"), "f1")[0]).toBe(0);
    // By 11:00 UTC the 18th has ended in Kiritimati.
    expect(featuresOf(task({ dueAt: kiritimati }), clockAt(NOW + 3.5 * 3_600_000, "Pacific/Kiritimati"), "f1")[0]).toBe(1);
  });

  test("stored floating times are read in the user's zone; instants are absolute", () => {
    const stored = (dueKind: "floating" | "instant", dueValue: string) =>
      storedDue({ dueKind, dueValue, dueTimezone: null, dueIsRecurring: false, dueString: null });
    expect(dueInstant(stored("floating", "2026-11-18T09:00:00"), "Europe/Paris")).toBe(Date.UTC(2026, 10, 18, 8));
    expect(dueInstant(stored("floating", "2026-11-18T09:00:00"), "America/New_York")).toBe(Date.UTC(2026, 10, 18, 14));
    expect(dueInstant(stored("instant", "2026-11-18T09:00:00.000Z"), "America/New_York")).toBe(Date.UTC(2026, 10, 18, 9));
    expect(storedDue({ dueKind: null, dueValue: null, dueTimezone: null, dueIsRecurring: false, dueString: null })).toBeNull();
  });
});

describe("exploration", () => {
  test("ε-greedy: best with 1 − ε + ε/K, any other with ε/K", () => {
    const scores = [0.2, 0.9, 0.5, 0.1];
    const exploit = epsilonGreedy(scores, 0.1, sequence(0.5));
    expect(exploit).toEqual({ chosen: 1, explored: false, propensity: 0.9 + 0.025 });
    const explore = epsilonGreedy(scores, 0.1, sequence(0.05, 0.6));
    expect(explore.chosen).toBe(2);
    expect(explore.explored).toBe(true);
    expect(explore.propensity).toBeCloseTo(0.025, 10);
    expect(epsilonGreedy([1], 0.1, sequence(0)).propensity).toBe(1);
    // A draw that lands on the best is not exploration, and the best keeps its propensity.
    expect(epsilonGreedy(scores, 0.1, sequence(0.05, 0.3))).toEqual({ chosen: 1, explored: false, propensity: 0.9 + 0.025 });
  });

  test("with an anchor: half of ε on the anchor, half uniform, and each propensity is how often that pick comes", () => {
    const scores = [0.2, 0.9, 0.5, 0.1];
    expect(epsilonGreedy(scores, 0.2, sequence(0.5), 3)).toEqual({ chosen: 1, explored: false, propensity: 0.8 + 0.025 });
    const onAnchor = epsilonGreedy(scores, 0.2, sequence(0.1, 0.3), 3);
    expect(onAnchor).toMatchObject({ chosen: 3, explored: true });
    expect(onAnchor.propensity).toBeCloseTo(0.1 + 0.025, 12);
    const uniform = epsilonGreedy(scores, 0.2, sequence(0.1, 0.7, 0.6), 3);
    expect(uniform).toMatchObject({ chosen: 2, explored: true });
    expect(uniform.propensity).toBeCloseTo(0.025, 12);
    // An anchor that is the best pick too: all of it adds up on one candidate.
    expect(epsilonGreedy(scores, 0.2, sequence(0.5), 1).propensity).toBeCloseTo(0.8 + 0.1 + 0.025, 12);

    // Drawn many times (a seeded generator), each candidate comes as often as its propensity says.
    let seed = 12345;
    const random = () => {
      // mulberry32
      seed = (seed + 0x6d2b79f5) | 0;
      let value = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
      return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
    };
    const draws = 200_000;
    const counts = [0, 0, 0, 0];
    const propensities = [0, 0, 0, 0];
    for (let draw = 0; draw < draws; draw++) {
      const { chosen, propensity } = epsilonGreedy(scores, 0.2, random, 3);
      counts[chosen]!++;
      propensities[chosen] = propensity;
    }
    expect(propensities.reduce((sum, value) => sum + value, 0)).toBeCloseTo(1, 12);
    counts.forEach((count, index) => expect(Math.abs(count / draws - propensities[index]!)).toBeLessThan(0.004));
  });

  test("random policy: propensity 1/K", async () => {
    const candidates = [task({}), task({}), task({}), task({})];
    const decision = await randomPolicy.decide({ userId: "u", candidates, features: [], clock: clockAt(NOW, "UTC"), random: sequence(0.6) });
    expect(decision.chosen).toBe(2);
    expect(decision.propensity).toBe(0.25);
  });
});

describe("heuristic policy", () => {
  test("overdue first, then priority, then age", async () => {
    const clock = clockAt(NOW, "UTC");
    const candidates = [
      task({ key: "old", priority: 1, addedAt: NOW - 40 * DAY }),
      task({ key: "urgent", priority: 4 }),
      task({ key: "overdue", priority: 1, dueAt: NOW - DAY }),
    ];
    const policy = heuristicPolicy(0);
    const decision = await policy.decide({ userId: "u", candidates, features: [], clock, random: sequence(0.99) });
    expect(candidates[decision.chosen]!.key).toBe("overdue");
    expect(decision.propensity).toBe(1);
    const withoutOverdue = await policy.decide({ userId: "u", candidates: candidates.slice(0, 2), features: [], clock, random: sequence(0.99) });
    expect(candidates[withoutOverdue.chosen]!.key).toBe("urgent");
  });

  test("advice that fits this part of the day beats advice for any time", async () => {
    const advice = (key: string, timeOfDay: Candidate["timeOfDay"]): Candidate => ({
      ...task({ key, kind: "advice", source: "advice", priority: 2, addedAt: null }),
      timeOfDay,
    });
    const morning = clockAt(NOW, "UTC");
    const decision = await heuristicPolicy(0).decide({
      userId: "u",
      candidates: [advice("any", "any"), advice("morning", "morning")],
      features: [],
      clock: morning,
      random: sequence(0.99),
    });
    expect(decision.chosen).toBe(1);
  });
});

describe("why", () => {
  const clock = clockAt(NOW, "UTC");
  test("names the main reason and the source", () => {
    expect(explain(task({ dueAt: NOW - 3 * DAY }), clock, false)).toBe("Overdue by 3 days · from Todoist");
    expect(explain(task({ dueAt: NOW + 3_600_000 }), clock, false)).toBe("Due within a day · from Todoist");
    expect(explain(task({ priority: 4 }), clock, false)).toBe("Marked urgent · from Todoist");
    expect(explain(task({ addedAt: NOW - 12 * DAY }), clock, true)).toBe("Waiting for 12 days · from Todoist · picked to learn what helps you");
    expect(explain({ ...ALL_CLEAR, timeOfDay: "morning" }, clock, false)).toBe("Your list is clear · oO advice");
    expect(explain({ ...task({ kind: "advice", source: "advice" }), timeOfDay: "morning" }, clock, false)).toBe("Fits your morning · oO advice");
  });
});
