import { describe, expect, test } from "bun:test";
import spec from "../../ml/features.json" with { type: "json" };
import type { Candidate } from "./candidates/index.ts";
import { type Clock, FEATURE_DIMENSION, FEATURE_VERSION, FEATURE_VERSIONS, type FeatureVersion, featuresOf, featuresOfAll } from "./features.ts";

const FIXTURES = new URL("../../ml/tests/feature_fixtures.json", import.meta.url);
const NOW = Date.UTC(2026, 11, 2, 12, 0, 0);
const H = 3_600_000;
const D = 24 * H;

type Attributes = Pick<Candidate, "kind" | "source" | "priority" | "category" | "dueAt" | "addedAt">;

/** Tasks overdue, due soon, due later or undated, of every age and priority (and out-of-range ones); advice of several kinds. */
const CANDIDATES: Attributes[] = [
  { kind: "todo", source: "todoist", priority: 4, category: null, dueAt: NOW - 2 * D, addedAt: NOW - 45 * D },
  { kind: "todo", source: "todoist", priority: 3, category: null, dueAt: NOW + 5 * H, addedAt: NOW - 3.5 * D },
  { kind: "todo", source: "todoist", priority: 1, category: null, dueAt: NOW + 3 * D, addedAt: NOW - 1_234_567 },
  { kind: "todo", source: "todoist", priority: 2, category: null, dueAt: null, addedAt: NOW },
  { kind: "todo", source: "todoist", priority: 7, category: null, dueAt: NOW, addedAt: NOW + H },
  { kind: "todo", source: "todoist", priority: 0, category: null, dueAt: NOW + D, addedAt: null },
  { kind: "advice", source: "advice", priority: 2, category: "body", dueAt: null, addedAt: null },
  { kind: "advice", source: "advice", priority: 3, category: "rest", dueAt: null, addedAt: null },
  { kind: "advice", source: "advice", priority: 4, category: "planning", dueAt: null, addedAt: null },
  { kind: "advice", source: "llm", priority: 2, category: null, dueAt: null, addedAt: null },
  { kind: "todo", source: "llm", priority: 2, category: null, dueAt: null, addedAt: NOW - 10 * D },
];
/** Every boundary of the parts of the day, on every weekday. */
const CLOCKS: Clock[] = [0, 4, 5, 11, 12, 16, 17, 21, 22, 23].flatMap((hour, index) => [
  { now: NOW, hour, weekday: index % 7 },
  { now: NOW + 7 * H, hour, weekday: (index + 3) % 7 },
]);

const candidate = (attributes: Attributes): Candidate => ({ key: "k", content: "", changedAt: null, ...attributes });

interface Fixture {
  version: FeatureVersion;
  clock: Clock;
  candidate: Attributes;
  vector: number[];
}

function computed(): Fixture[] {
  return FEATURE_VERSIONS.flatMap((version) =>
    CLOCKS.flatMap((clock) => CANDIDATES.map((attributes) => ({ version, clock, candidate: attributes, vector: featuresOf(candidate(attributes), clock, version) }))),
  );
}

describe("features", () => {
  // The Python side (ml/features.py) is checked against the same file by ml/tests/test_features.py.
  test("serving computes the shared fixtures' vectors (WRITE_FEATURE_FIXTURES=1 writes them after a new version)", async () => {
    const cases = computed();
    if (process.env.WRITE_FEATURE_FIXTURES === "1") {
      const comment = "Candidates, clocks and the vectors serving computes (src/recommender/features.ts); ml/features.py must compute the same.";
      await Bun.write(FIXTURES, `${JSON.stringify({ comment, cases })}\n`);
    }
    const stored = (await Bun.file(FIXTURES).json()) as { cases: Fixture[] };
    expect(stored.cases).toEqual(cases);
  });

  test("every version's terms are known, every entry is in [0, 1], and the serving version is the spec's", () => {
    expect(FEATURE_VERSION).toBe(spec.serving as FeatureVersion);
    expect(FEATURE_DIMENSION).toBe(spec.versions[FEATURE_VERSION].length);
    for (const { vector, version } of computed()) {
      expect(vector).toHaveLength(spec.versions[version].length);
      for (const value of vector) expect(value >= 0 && value <= 1).toBe(true);
    }
  });

  test("f2 tells advice from tasks, the part of the day, the weekend and the advice's theme", () => {
    const names = spec.versions.f2;
    const at = (name: string, vector: number[]) => vector[names.indexOf(name)];
    const evening: Clock = { now: NOW, hour: 19, weekday: 5 };
    const rest = featuresOf(candidate(CANDIDATES[7]!), evening, "f2");
    expect([at("bias", rest), at("todo", rest), at("advice*evening", rest), at("advice*weekend", rest), at("category:rest", rest)]).toEqual([1, 0, 1, 1, 1]);
    const task = featuresOf(candidate(CANDIDATES[1]!), evening, "f2");
    expect([at("todo", task), at("due_soon", task), at("todo*weekend", task), at("advice*evening", task)]).toEqual([1, 1, 1, 0]);
  });

  test("alike dateless candidates share one vector; different themes do not", () => {
    const clock: Clock = { now: NOW, hour: 9, weekday: 1 };
    const [body, body2, rest] = featuresOfAll([candidate(CANDIDATES[6]!), candidate(CANDIDATES[6]!), candidate({ ...CANDIDATES[6]!, category: "rest" })], clock, "f2");
    expect(body).toBe(body2!);
    expect(rest).not.toBe(body!);
    expect(rest).not.toEqual(body!);
  });
});
