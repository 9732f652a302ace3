import { describe, expect, test } from "bun:test";
import { Type } from "@sinclair/typebox";
import { eq } from "drizzle-orm";
import { AppError } from "../errors.ts";
import { captureLogger, migratedDatabase } from "../testing/harness.ts";
import { meta } from "./schema.ts";
import { SettingsStore } from "./settings.ts";

const Schema = Type.Object({
  mode: Type.Union([Type.Literal("calm"), Type.Literal("busy")], { default: "calm" }),
  limit: Type.Integer({ minimum: 1, maximum: 10, default: 3 }),
});

function section() {
  const database = migratedDatabase();
  const { log, lines } = captureLogger();
  return { database, lines, settings: new SettingsStore(database.db, log).section("demo", Schema) };
}

const stored = (database: ReturnType<typeof migratedDatabase>) =>
  Object.fromEntries(database.db.select().from(meta).all().map((row) => [row.key, row.value]));

describe("settings sections", () => {
  test("defaults until changed; a change is stored under the section's prefix and read back", () => {
    const { database, settings } = section();
    expect(settings.get()).toEqual({ mode: "calm", limit: 3 });
    expect(settings.update({ limit: 7 })).toEqual({ mode: "calm", limit: 7 });
    expect(stored(database)).toEqual({ "demo.limit": "7" });
    // Sent but unchanged is not stored; put back to its default, it is forgotten (and follows the default again).
    expect(settings.update({ mode: "calm", limit: 7 })).toEqual({ mode: "calm", limit: 7 });
    expect(stored(database)).toEqual({ "demo.limit": "7" });
    expect(settings.update({ limit: 3 })).toEqual({ mode: "calm", limit: 3 });
    expect(stored(database)).toEqual({});
  });

  test("a bad value or an unknown key is refused with a clear error, and nothing is stored", () => {
    const { database, settings } = section();
    for (const [changes, message] of [
      [{ limit: 0 }, "demo.limit: Expected integer to be greater or equal to 1"],
      [{ mode: "loud" }, "demo.mode: must be one of calm, busy"],
      [{ limit: 5, volume: 11 }, "demo: there is no setting volume"],
    ] as const) {
      let thrown: unknown;
      try {
        settings.update(changes);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(AppError);
      expect((thrown as AppError).kind).toBe("invalid");
      expect((thrown as AppError).message).toContain(message);
    }
    expect(stored(database)).toEqual({});
    expect(settings.get()).toEqual({ mode: "calm", limit: 3 });
  });

  test("a stored value that no longer fits reads as its default, and says so in the log", () => {
    const { database, settings, lines } = section();
    settings.update({ mode: "busy", limit: 4 });
    database.db.update(meta).set({ value: "42" }).where(eq(meta.key, "demo.limit")).run();
    database.db.insert(meta).values({ key: "demo.retired", value: "true", updatedAt: 0 }).run();
    const fresh = new SettingsStore(database.db, captureLogger().log).section("demo", Schema);
    expect(fresh.get()).toEqual({ mode: "busy", limit: 3 });
    const { log, lines: warnings } = captureLogger();
    new SettingsStore(database.db, log).section("demo", Schema).get();
    expect(warnings.map((line) => line.setting)).toEqual(["demo.limit", "demo.retired"]);
    expect(lines).toEqual([]);
  });
});
