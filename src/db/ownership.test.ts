import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { is } from "drizzle-orm";
import { getTableConfig, SQLiteTable } from "drizzle-orm/sqlite-core";
import * as schema from "./schema.ts";

/**
 * Each table has one owner (src/README.md): only the owner's files name it, by importing it from
 * db/schema.ts or in SQL they write. Other modules call the owner's functions. Tests and test
 * helpers may touch any table: they seed and inspect.
 */
const OWNERS: Record<string, string[]> = {
  meta: ["db/settings.ts"],
  events: ["events/"],
  outbox: ["jobs/outbox.ts"],
  users: ["user/"],
  user_tombstones: ["user/"],
  identities: ["auth/"],
  sessions: ["auth/"],
  setup_tokens: ["auth/"],
  consents: ["legal/"],
  integrations: ["integrations/"],
  tasks: ["integrations/"],
  webhook_deliveries: ["integrations/"],
  advice: ["recommender/"],
  tip_candidates: ["recommender/"],
  candidate_states: ["recommender/"],
  tip_views: ["recommender/"],
  tip_feedback: ["recommender/"],
  decision_candidates: ["recommender/"],
  policy_versions: ["recommender/"],
  bandit_states: ["recommender/"],
  push_subscriptions: ["notifier/"],
  push_deliveries: ["notifier/"],
  audit_log: ["admin/"],
  saved_queries: ["admin/"],
};

/** Export and erasure walk the whole schema by design, so a table added later is covered; the client hands drizzle the schema for its types. */
const WHOLE_SCHEMA_READERS = ["user/privacy.ts", "db/client.ts"];

const SRC = join(import.meta.dir, "..");
const tables = Object.entries(schema).flatMap(([exportName, value]) =>
  is(value, SQLiteTable) ? [{ exportName, sqlName: getTableConfig(value as SQLiteTable).name }] : [],
);
const sqlNameOf = new Map(tables.map((table) => [table.exportName, table.sqlName]));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "testing" ? [] : sourceFiles(path);
    return /\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

const ownedBy = (file: string, table: string) => (OWNERS[table] ?? []).some((owner) => file === owner || (owner.endsWith("/") && file.startsWith(owner)));
const withoutComments = (code: string) => code.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");

/** Every table a file names: imported from the schema, or written in SQL it sends. */
export function tablesNamedIn(code: string): { table: string; how: string }[] {
  const found: { table: string; how: string }[] = [];
  const source = withoutComments(code);
  for (const match of source.matchAll(/import\s+(type\s+)?\{([^}]*)\}\s+from\s+"[./]*\/?(db\/)?schema\.ts"/g)) {
    for (const name of match[2]!.split(",").map((part) => part.trim().split(/\s+as\s+/)[0]!)) {
      const table = sqlNameOf.get(name);
      if (table) found.push({ table, how: `imports ${name}` });
    }
  }
  if (/import\s+\*\s+as\s+\w+\s+from\s+"[./]*\/?(db\/)?schema\.ts"/.test(source)) found.push({ table: "*", how: "imports the whole schema" });
  for (const match of source.matchAll(/\b(?:FROM|INTO|UPDATE|JOIN|TABLE)\s+"?(\w+)"?/g)) {
    if (OWNERS[match[1]!]) found.push({ table: match[1]!, how: `SQL on ${match[1]}` });
  }
  return found;
}

describe("table ownership", () => {
  test("every table in the schema has an owner", () => {
    expect(tables.map((table) => table.sqlName).toSorted()).toEqual(Object.keys(OWNERS).toSorted());
  });

  test("the scan sees imports and SQL, and ignores comments", () => {
    const code = `import { tasks, users as people } from "../db/schema.ts";\n// DELETE FROM outbox\nconst q = "SELECT 1 FROM tip_views";`;
    expect(tablesNamedIn(code).map((hit) => hit.table)).toEqual(["tasks", "users", "tip_views"]);
    expect(tablesNamedIn(`import * as schema from "./schema.ts";`)).toEqual([{ table: "*", how: "imports the whole schema" }]);
  });

  test("only a table's owner names it", () => {
    const violations: string[] = [];
    for (const path of sourceFiles(SRC)) {
      const file = relative(SRC, path);
      if (file === "db/schema.ts") continue;
      for (const { table, how } of tablesNamedIn(readFileSync(path, "utf8"))) {
        const allowed = table === "*" ? WHOLE_SCHEMA_READERS.includes(file) : ownedBy(file, table) || WHOLE_SCHEMA_READERS.includes(file);
        if (!allowed) violations.push(`${file} ${how} (owner: ${OWNERS[table]?.join(", ") ?? "none"})`);
      }
    }
    expect(violations).toEqual([]);
  });
});
