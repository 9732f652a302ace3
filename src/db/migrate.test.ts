import { describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { tempDir } from "../testing/harness.ts";
import { openDatabase } from "./client.ts";
import { MigrationError, migrate } from "./migrate.ts";
import { renderEmbeddedMigrations } from "./migrations-manifest.ts";
import { embeddedMigrations } from "./migrations.gen.ts";

const tables = (sqlite: Database) =>
  sqlite
    .query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .all()
    .map((row) => row.name);

describe("migrate", () => {
  test("applies every embedded migration to a fresh database, then is a no-op", () => {
    const database = openDatabase(":memory:");
    expect(migrate(database.sqlite)).toEqual(embeddedMigrations.map((m) => m.tag));
    expect(tables(database.sqlite)).toContain("events");
    expect(migrate(database.sqlite)).toEqual([]);
  });

  test("the connection has the pragmas oO relies on", () => {
    const dir = tempDir();
    try {
      const database = openDatabase(join(dir.path, "oo.db"));
      const pragma = (name: string) => Object.values(database.sqlite.query(`PRAGMA ${name}`).get() as object)[0];
      expect(pragma("journal_mode")).toBe("wal");
      expect(pragma("synchronous")).toBe(1); // NORMAL
      expect(pragma("busy_timeout")).toBe(5000);
      expect(pragma("foreign_keys")).toBe(1);
      expect(pragma("secure_delete")).toBe(1);
      database.close();
    } finally {
      dir.cleanup();
    }
  });

  test("a failing migration leaves the database file exactly as it was", () => {
    const dir = tempDir();
    try {
      const path = join(dir.path, "oo.db");
      const database = openDatabase(path);
      migrate(database.sqlite);
      database.sqlite.run("INSERT INTO meta (key, value, updated_at) VALUES ('k', 'v', 1)");
      const before = tables(database.sqlite);
      const broken = [
        ...embeddedMigrations,
        { tag: "9998_good", sql: "CREATE TABLE first_new (id integer);" },
        { tag: "9999_bad", sql: "CREATE TABLE second_new (id integer);\n--> statement-breakpoint\nTHIS IS NOT SQL;" },
      ];
      expect(() => migrate(database.sqlite, broken)).toThrow(MigrationError);
      expect(() => migrate(database.sqlite, broken)).toThrow(/migration 9999_bad failed: .*left unchanged/);
      expect(tables(database.sqlite)).toEqual(before);
      expect(database.sqlite.query("SELECT value FROM meta WHERE key = 'k'").get()).toEqual({ value: "v" });
      expect(database.sqlite.query("SELECT count(*) AS n FROM schema_migrations WHERE tag LIKE '999%'").get()).toEqual({ n: 0 });
      expect(database.sqlite.query("PRAGMA foreign_keys").get()).toEqual({ foreign_keys: 1 });
      database.close();
    } finally {
      dir.cleanup();
    }
  });

  test("a table rebuild does not cascade into child rows (foreign keys off on the connection)", () => {
    const database = openDatabase(":memory:");
    const setup = [
      {
        tag: "0001_parent_child",
        sql: "CREATE TABLE parent (id integer PRIMARY KEY, name text);\n--> statement-breakpoint\nCREATE TABLE child (id integer PRIMARY KEY, parent_id integer REFERENCES parent(id) ON DELETE CASCADE);",
      },
    ];
    migrate(database.sqlite, setup);
    database.sqlite.run("INSERT INTO parent VALUES (1, 'a')");
    database.sqlite.run("INSERT INTO child VALUES (1, 1)");
    // The shape drizzle-kit generates when a column changes in SQLite.
    const rebuild = {
      tag: "0002_rebuild_parent",
      sql: [
        "PRAGMA foreign_keys=OFF;",
        "CREATE TABLE __new_parent (id integer PRIMARY KEY, name text NOT NULL DEFAULT '');",
        "INSERT INTO __new_parent(id, name) SELECT id, name FROM parent;",
        "DROP TABLE parent;",
        "ALTER TABLE __new_parent RENAME TO parent;",
        "PRAGMA foreign_keys=ON;",
      ].join("\n--> statement-breakpoint\n"),
    };
    expect(migrate(database.sqlite, [...setup, rebuild])).toEqual(["0002_rebuild_parent"]);
    expect(database.sqlite.query("SELECT count(*) AS n FROM child").get()).toEqual({ n: 1 });
  });

  test("decisions logged before decision rows belonged to their tip survive the upgrade, orphans aside", () => {
    const database = openDatabase(":memory:");
    const before = embeddedMigrations.findIndex((migration) => migration.tag.startsWith("0003_"));
    migrate(database.sqlite, embeddedMigrations.slice(0, before));
    const { sqlite } = database;
    sqlite.run("INSERT INTO users (id, role, timezone, created_at, updated_at) VALUES ('u1', 'user', 'UTC', 1, 1)");
    sqlite.run(
      "INSERT INTO tip_views (id, user_id, candidate_key, kind, source, content, why, policy, candidates, served_at) VALUES ('tip-1', 'u1', 'advice:a', 'advice', 'advice', 'Drink water', 'why', 'linucb', '[\"advice:a\"]', 5)",
    );
    const score = sqlite.query(
      `INSERT INTO tip_scores (tip_id, user_id, at, policy, policy_version, serving, scores, chosen_key, propensity, features, feature_version,
         latency_ms, scorer_status, tip_kind, source) VALUES (?, 'u1', 5, 'linucb', 'v', 1, '[1]', 'advice:a', 0.9, '[0,0,0,0,0]', 'f1', 1, 'ok', 'advice', 'advice')`,
    );
    score.run("tip-1");
    score.run("tip-purged");
    sqlite.run(`INSERT INTO events (subject, user_id, payload, at) VALUES ('signals.tip.served', 'u1', '{"tipId":"tip-1"}', 5)`);
    sqlite.run(`INSERT INTO events (subject, user_id, payload, at) VALUES ('signals.tip.feedback', 'u1', '{"tipId":"tip-1","action":"done","reward":1,"source":"page"}', 6)`);

    // A shadow's row, as decisions were logged before their tip held them.
    sqlite.run(
      `INSERT INTO tip_scores (tip_id, user_id, at, policy, policy_version, serving, scores, chosen_key, propensity, features, feature_version,
         latency_ms, scorer_status, tip_kind, source) VALUES ('tip-1', 'u1', 5, 'heuristic', 'h1', 0, '[2]', 'advice:a', 1, '[0,0,0,0,0]', 'f1', 1, 'ok', 'advice', 'advice')`,
    );

    migrate(database.sqlite);
    // A served tip's record is its row: the events that repeated it are gone, the others stay.
    expect(sqlite.query("SELECT subject, tip_id AS tipId, user_id AS userId FROM events").all()).toEqual([{ subject: "signals.tip.feedback", tipId: "tip-1", userId: "u1" }]);
    // The tip's row holds its decision now: the serving policy's side, and each shadow's pick; the orphan went.
    expect(
      sqlite
        .query(
          "SELECT v.policy, p.version AS policy_version, propensity, scorer_status, latency_ms, feature_version, features, shadows, CAST(scores AS TEXT) AS scores FROM tip_views v JOIN policy_versions p ON p.id = v.policy_version_id",
        )
        .all(),
    ).toEqual([
      {
        policy: "linucb",
        policy_version: "v",
        propensity: 0.9,
        scorer_status: "ok",
        latency_ms: 1,
        feature_version: "f1",
        features: "[0,0,0,0,0]",
        shadows: '[[1,"advice:a"]]',
        scores: "[1]",
      },
    ]);
    expect(sqlite.query("SELECT name FROM sqlite_master WHERE name = 'tip_scores'").all()).toEqual([]);
    // Policy versions are stored once, in the order they were first used (then by name).
    expect(sqlite.query("SELECT id, policy, version FROM policy_versions").all()).toEqual([
      { id: 1, policy: "heuristic", version: "h1" },
      { id: 2, policy: "linucb", version: "v" },
    ]);
  });

  test("decision_candidates is a WITHOUT ROWID table with no second index, its rows kept through the rebuild", () => {
    const database = openDatabase(":memory:");
    const before = embeddedMigrations.findIndex((migration) => migration.tag.startsWith("0017_"));
    migrate(database.sqlite, embeddedMigrations.slice(0, before));
    const { sqlite } = database;
    sqlite.run("INSERT INTO users (id, role, timezone, created_at, updated_at) VALUES ('u1', 'user', 'UTC', 1, 1)");
    sqlite.run("INSERT INTO decision_candidates (user_id, ref, candidate_key, makings, created_at) VALUES ('u1', 0, 'advice:a', x'01020304', 5)");
    migrate(sqlite);
    const table = sqlite.query<{ sql: string }, []>("SELECT sql FROM sqlite_master WHERE name = 'decision_candidates'").get()!;
    expect(table.sql).toContain("WITHOUT ROWID");
    expect(sqlite.query("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'decision_candidates' AND sql IS NOT NULL").all()).toEqual([]);
    expect(sqlite.query("SELECT user_id, ref, candidate_key, created_at FROM decision_candidates").all()).toEqual([{ user_id: "u1", ref: 0, candidate_key: "advice:a", created_at: 5 }]);
    // The person's deletion still takes them.
    sqlite.run("PRAGMA foreign_keys = ON");
    sqlite.run("DELETE FROM users WHERE id = 'u1'");
    expect(sqlite.query("SELECT count(*) AS n FROM decision_candidates").get()).toEqual({ n: 0 });
  });

  test("a migration edited after it was applied is refused", () => {
    const database = openDatabase(":memory:");
    migrate(database.sqlite, [{ tag: "0001_a", sql: "CREATE TABLE a (id integer);" }]);
    expect(() => migrate(database.sqlite, [{ tag: "0001_a", sql: "CREATE TABLE a (id text);" }])).toThrow(/edited after/);
  });

  test("the embedded list matches the drizzle-kit journal (run `bun run db:generate`)", () => {
    const generated = require("node:fs").readFileSync(new URL("./migrations.gen.ts", import.meta.url), "utf8");
    expect(generated).toBe(renderEmbeddedMigrations());
  });
});
