import spec from "../../ml/features.json" with { type: "json" };
import { DAY_MS, HOUR_MS, zonedParts } from "../time.ts";
import { type Candidate, type TimeOfDay, timeOfDayAt } from "./candidates/index.ts";

/**
 * A candidate's context vector, as `ml/features.json` defines it for each version: an ordered list
 * of terms, each a primitive below or a product of them (`advice*evening`), every entry in [0, 1]
 * so no feature dominates the bandit by its units. The spec is the one place the versions are
 * defined; `ml/features.py` implements the same primitives for the simulator and evaluation, and a
 * conformance test holds the two to the same vectors. Serving computes them here, in process, so a
 * decision costs no extra round trip and the heuristic's decisions are logged with features too.
 */
export type FeatureVersion = keyof typeof spec.versions;
export const FEATURE_VERSIONS = Object.keys(spec.versions) as FeatureVersion[];
/** The version serving decisions are made and logged with. */
export const FEATURE_VERSION = spec.serving as FeatureVersion;
export const FEATURE_NAMES: readonly string[] = spec.versions[FEATURE_VERSION];
export const FEATURE_DIMENSION = FEATURE_NAMES.length;

const { ageCapDays, dueSoonHours } = spec.constants;

export interface Clock {
  now: number;
  hour: number;
  weekday: number;
}

/** The user's local hour and weekday; computed once per decision. */
export function clockAt(now: number, timeZone: string): Clock {
  const local = zonedParts(now, timeZone);
  return { now, hour: local.hour, weekday: local.weekday };
}

/** What a candidate's vector depends on: what the decision log keeps of each candidate (see context.ts). */
export type FeatureInput = Pick<Candidate, "kind" | "source" | "category" | "priority" | "dueAt" | "addedAt">;

type Primitive = (candidate: FeatureInput, clock: Clock) => number;

const partOfDay = (part: TimeOfDay): Primitive => (_candidate, clock) => (timeOfDayAt(clock.hour) === part ? 1 : 0);

const PRIMITIVES: Record<string, Primitive> = {
  bias: () => 1,
  todo: (candidate) => (candidate.kind === "todo" ? 1 : 0),
  advice: (candidate) => (candidate.kind === "advice" ? 1 : 0),
  llm: (candidate) => (candidate.source === "llm" ? 1 : 0),
  is_overdue: (candidate, clock) => (candidate.dueAt !== null && candidate.dueAt < clock.now ? 1 : 0),
  due_soon: (candidate, clock) =>
    candidate.dueAt !== null && candidate.dueAt >= clock.now && candidate.dueAt - clock.now < dueSoonHours * HOUR_MS ? 1 : 0,
  // Ages beyond a month read as "old"; finer distinctions there carry no signal.
  task_age_days: (candidate, clock) =>
    candidate.addedAt === null ? 0 : Math.min(Math.max(0, (clock.now - candidate.addedAt) / DAY_MS), ageCapDays) / ageCapDays,
  priority: (candidate) => (Math.min(Math.max(candidate.priority, 1), 4) - 1) / 3,
  hour_of_day: (_candidate, clock) => clock.hour / 23,
  day_of_week: (_candidate, clock) => clock.weekday / 6,
  weekend: (_candidate, clock) => (clock.weekday >= 5 ? 1 : 0),
  morning: partOfDay("morning"),
  afternoon: partOfDay("afternoon"),
  evening: partOfDay("evening"),
  night: partOfDay("night"),
};

function primitive(name: string): Primitive {
  if (name.startsWith("category:")) {
    const category = name.slice("category:".length);
    return (candidate) => (candidate.category === category ? 1 : 0);
  }
  const found = PRIMITIVES[name];
  if (!found) throw new Error(`ml/features.json: unknown feature primitive "${name}"`);
  return found;
}

/** The primitives that read the clock alone: one value for every candidate of a decision. */
const CLOCK_ONLY = new Set(["bias", "hour_of_day", "day_of_week", "weekend", "morning", "afternoon", "evening", "night"]);
/** The primitives that read a candidate's dates: the only ones that differ between alike tasks. */
const DATED = new Set(["is_overdue", "due_soon", "task_age_days"]);

/**
 * Each version compiled once: its distinct primitives, and each term as the indexes of its factors.
 * A candidate's vector evaluates every primitive once (those of the clock alone once per decision)
 * and multiplies, so terms that share a factor (the `advice*` parts) do not recompute it.
 */
interface Compiled {
  primitives: Primitive[];
  clockOnly: boolean[];
  terms: number[][];
  /** The terms with a dated factor: all a dated candidate's vector has beyond its dateless twin's. */
  datedTerms: number[];
}
const compiled = new Map<FeatureVersion, Compiled>(
  FEATURE_VERSIONS.map((version) => {
    const names: string[] = [];
    const terms = spec.versions[version].map((term) =>
      term.split("*").map((name) => {
        const known = names.indexOf(name);
        return known >= 0 ? known : names.push(name) - 1;
      }),
    );
    const datedTerms = terms.flatMap((factors, index) => (factors.some((factor) => DATED.has(names[factor]!)) ? [index] : []));
    return [version, { primitives: names.map(primitive), clockOnly: names.map((name) => CLOCK_ONLY.has(name)), terms, datedTerms }];
  }),
);

/** A version's feature names, in order. */
export function featureNames(version: FeatureVersion): readonly string[] {
  return spec.versions[version];
}

/**
 * A vector of one version written in another's terms, by name: shared features keep their value,
 * new ones are 0. For a reward logged before a version change and applied (or taken back) after.
 */
export function carryVector(x: readonly number[], from: readonly string[], to: readonly string[]): number[] {
  const index = new Map(from.map((name, position) => [name, position]));
  return to.map((name) => (index.has(name) ? x[index.get(name)!]! : 0));
}

export function featuresOf(candidate: FeatureInput, clock: Clock, version: FeatureVersion = FEATURE_VERSION): number[] {
  const rules = compiled.get(version)!;
  return vectorOf(candidate, clock, rules, clockValues(candidate, clock, rules));
}

/** The clock-only primitives' values (0 in the others' places). */
function clockValues(anyCandidate: FeatureInput, clock: Clock, { primitives, clockOnly }: Compiled): number[] {
  return primitives.map((value, index) => (clockOnly[index] ? value(anyCandidate, clock) : 0));
}

function vectorOf(candidate: FeatureInput, clock: Clock, rules: Compiled, ofClock: number[]): number[] {
  return rules.terms.map((factors) => termOf(factors, candidate, clock, rules, ofClock));
}

function termOf(factors: number[], candidate: FeatureInput, clock: Clock, { primitives, clockOnly }: Compiled, ofClock: number[]): number {
  let product = 1;
  for (const factor of factors) product *= clockOnly[factor] ? ofClock[factor]! : primitives[factor]!(candidate, clock);
  return round(product);
}

/** A dated candidate's vector: its dateless twin's (shared by every alike candidate), with the dated terms computed. */
function withDates(twin: number[], candidate: FeatureInput, clock: Clock, rules: Compiled, ofClock: number[]): number[] {
  const vector = twin.slice();
  for (const term of rules.datedTerms) vector[term] = termOf(rules.terms[term]!, candidate, clock, rules, ofClock);
  return vector;
}

/**
 * The vectors of one decision's candidates. A candidate without dates (every advice) has a vector
 * that depends on what it is (kind, source, category, priority) and the clock alone, so alike ones
 * share one array, which lets a policy see at a glance which candidates are alike (LinUCB scores
 * each distinct vector once). A dated one (a task) is that vector with its few dated terms set.
 */
export function featuresOfAll(candidates: FeatureInput[], clock: Clock, version: FeatureVersion = FEATURE_VERSION): number[][] {
  if (candidates.length === 0) return [];
  const shared = datelessVectors(clock, version);
  const rules = compiled.get(version)!;
  const ofClock = clockValues(candidates[0]!, clock, rules);
  return candidates.map((candidate) => {
    const key = `${candidate.kind}|${candidate.source}|${candidate.category ?? ""}|${candidate.priority}`;
    const dated = candidate.dueAt !== null || candidate.addedAt !== null;
    let twin = shared.get(key);
    if (!twin) shared.set(key, (twin = vectorOf(dated ? { ...candidate, dueAt: null, addedAt: null } : candidate, clock, rules, ofClock)));
    return dated ? withDates(twin, candidate, clock, rules, ofClock) : twin;
  });
}

/**
 * The dateless vectors of one local hour and weekday (and version), kept across decisions: every
 * person whose clock reads the same shares them, so a decision computes only its tasks' vectors.
 * At most 168 clocks per version, each with one vector per kind of dateless candidate.
 */
const datelessByClock = new Map<string, Map<string, number[]>>();
function datelessVectors(clock: Clock, version: FeatureVersion): Map<string, number[]> {
  const key = `${version}|${clock.hour}|${clock.weekday}`;
  let vectors = datelessByClock.get(key);
  if (!vectors) datelessByClock.set(key, (vectors = new Map()));
  return vectors;
}

/** Four decimals keep logs and scorer messages short without changing any decision. */
export const round = (value: number) => Math.round(value * 10_000) / 10_000;
