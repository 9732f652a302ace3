/**
 * What a decision costs on disk: people with `--candidates` candidates each (open tasks filling up
 * what the fitting advice leaves, topped up as tasks get done and the hour changes the advice that
 * fits) get `--decisions` tips each through the real recommender (LinUCB
 * through the python3 scorer, heuristic shadow), reacting to every `--react-every`th one (so their
 * candidate lists change as in use), half an hour apart. The bytes are the pages every table and
 * index of the decision log grew by (`dbstat`), divided by the decisions made.
 * Usage: bun scripts/bench/decision-log.ts [--people 100] [--decisions 40] [--candidates 50] [--react-every 3]
 */
import { join } from "node:path";
import { tasks, users } from "../../src/db/schema.ts";
import { createTestApp } from "../../src/testing/harness.ts";
import { numberOption, table, tempDir } from "./lib.ts";

const people = numberOption("people", 100);
const decisionsEach = numberOption("decisions", 40);
const candidatesEach = numberOption("candidates", 50);
const reactEvery = numberOption("react-every", 3);

const dir = tempDir("oo-bench-decision-log-");
const context = createTestApp({ DATA_DIR: dir.path, PYTHON: "python3", ML_TIMEOUT_MS: "5000" }, join(dir.path, "oo.db"));
const { recommender, feedback, settings } = context.modules.recommender;
settings.update({ servingPolicy: "linucb", shadowPolicies: ["heuristic"] });
const sqlite = context.database.sqlite;

/** Pages per table and index (including the tables a change adds), in bytes. */
const pages = () =>
  new Map(sqlite.query<{ name: string; bytes: number }, []>("SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name").all().map((row) => [row.name, row.bytes]));

const start = Date.UTC(2026, 10, 2, 6);
const zones = ["Europe/Paris", "America/New_York", "Asia/Tokyo", "UTC"];
// Ids as long as the product's (random UUIDs): they are in the rows and indexes measured.
const person = (index: number) => ({ id: `00000000-0000-4000-8000-${String(index).padStart(12, "0")}`, timezone: zones[index % zones.length]! });
const added = new Map<number, number>();
/** New open tasks for the person, as a sync brings them. */
function addTasks(index: number, count: number, at: number) {
  const first = added.get(index) ?? 0;
  added.set(index, first + count);
  context.database.db
    .insert(tasks)
    .values(
      Array.from({ length: count }, (_, offset) => {
        const task = first + offset;
        return {
          userId: person(index).id,
          provider: "todoist",
          externalId: `${index}-${task}`,
          content: `Task ${task} of a realistic length, say forty chars`,
          priority: 1 + (task % 4),
          dueKind: task % 3 === 0 ? ("date" as const) : null,
          dueValue: task % 3 === 0 ? new Date(at + (task - 20) * 86_400_000).toISOString().slice(0, 10) : null,
          addedAt: at - task * 3_600_000,
          syncedAt: at,
        };
      }),
    )
    .run();
  context.modules.recommender.pool.invalidate(person(index).id);
}
/** The person's candidates now, topped up with new tasks to `--candidates` (the advice that fits changes with the hour, tasks get done). */
function candidatesOf(index: number, at: number) {
  const { id, timezone } = person(index);
  const visible = context.modules.recommender.pool.visible(id, timezone, at);
  if (visible.length >= candidatesEach) return visible;
  addTasks(index, candidatesEach - visible.length, at);
  return context.modules.recommender.pool.visible(id, timezone, at);
}
for (let index = 0; index < people; index++) {
  const { id, timezone } = person(index);
  context.database.db.insert(users).values({ id, name: "Bench", timezone, timezoneConfirmed: true, createdAt: start, updatedAt: start }).run();
  candidatesOf(index, start);
}
sqlite.run("PRAGMA wal_checkpoint(TRUNCATE)");
const before = pages();

let decisions = 0;
let considered = 0;
for (let round = 0; round < decisionsEach; round++) {
  const now = start + round * 30 * 60_000;
  for (let index = 0; index < people; index++) {
    const user = person(index);
    const visible = candidatesOf(index, now);
    considered += Math.max(visible.length, 1);
    const tip = await recommender.recommend(user, { now }, visible);
    decisions++;
    if ((round + index) % reactEvery === 0) await feedback.give(user.id, tip.id, tip.kind === "advice" ? "helpful" : "done", { now: now + 1000 });
  }
}
sqlite.run("PRAGMA wal_checkpoint(TRUNCATE)");
const after = pages();

const rows = [...after]
  .map(([name, bytes]) => ({ name, grown: bytes - (before.get(name) ?? 0) }))
  .filter((row) => row.grown > 0 && /tip_|events|decision|policy_versions|sqlite_autoindex_/.test(row.name))
  .sort((a, b) => b.grown - a.grown);
const groups = [
  ["decision log (tip_views, decision_candidates, policy_versions)", /^(tip_views|decision_candidates|policy_versions|sqlite_autoindex_(tip_views|decision_candidates|policy_versions))/],
  ["events (the reactions')", /^events/],
  ["reactions (tip_feedback)", /^tip_feedback/],
] as const;
const perDecision = (bytes: number) => (bytes / decisions).toFixed(0);
const sumOf = (pattern: RegExp) => rows.filter((row) => pattern.test(row.name)).reduce((sum, row) => sum + row.grown, 0);
console.log(`\n${decisions} decisions (${people} people × ${decisionsEach}), ${(considered / decisions).toFixed(1)} candidates each on average\n`);
table([["table or index", "bytes per decision"], ...rows.map((row) => [row.name, perDecision(row.grown)])]);
console.log("");
table([["", "bytes per decision"], ...groups.map(([label, pattern]) => [label, perDecision(sumOf(pattern))]), ["decision log and events", perDecision(sumOf(groups[0][1]) + sumOf(groups[1][1]))]]);
await context.close();
dir.cleanup();
