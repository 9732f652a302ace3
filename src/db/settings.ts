import type { Static, TObject } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { eq, like } from "drizzle-orm";
import { AppError, checkProblem } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { Db } from "./client.ts";
import { meta } from "./schema.ts";

/**
 * Instance settings admins change without a restart, kept in the `meta` table as one row per key
 * (`<section>.<key>`, a JSON value). Each module declares its section with a typebox schema whose
 * properties all carry a `default`: a write is checked whole before anything is stored, and a
 * stored value that no longer fits (edited by hand, left by an older release) is logged and read
 * as its default rather than trusted.
 */
export class SettingsStore {
  constructor(
    private readonly db: Db,
    private readonly log: Logger,
  ) {}

  section<S extends TObject>(name: string, schema: S): SettingsSection<S> {
    return new SettingsSection(this.db, this.log, name, schema);
  }
}

export class SettingsSection<S extends TObject> {
  private current: Static<S> | null = null;
  private readonly prefix: string;
  /** Every setting at its default: what the Settings page shows beside each value. */
  readonly defaults: Static<S>;

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    readonly name: string,
    readonly schema: S,
  ) {
    this.prefix = `${name}.`;
    this.defaults = Value.Default(schema, {}) as Static<S>;
    if (!Value.Check(schema, this.defaults)) throw new Error(`settings ${name}: every property needs a valid default`);
  }

  get(): Static<S> {
    this.current ??= this.load();
    return this.current;
  }

  /** Checks the settings as they would be after the change, then stores the changed keys in one transaction. */
  update(changes: Record<string, unknown>): Static<S> {
    const next: Record<string, unknown> = { ...this.get() };
    for (const [key, value] of Object.entries(changes)) {
      if (!Object.hasOwn(this.schema.properties, key)) throw new AppError("invalid", "invalid_settings", `${this.name}: there is no setting ${key}`);
      next[key] = value;
    }
    if (!Value.Check(this.schema, next)) {
      const first = Value.Errors(this.schema, next).First();
      const field = first?.path.replace(/^\//, "").replaceAll("/", ".") || this.name;
      throw new AppError("invalid", "invalid_settings", `${this.name}.${field}: ${checkProblem(first?.schema, first?.message ?? "is invalid")}`);
    }
    const now = Date.now();
    // Only what differs is stored, and a setting put back to its default is forgotten: one never
    // changed keeps following its default, should a release change it.
    const current = this.get() as Record<string, unknown>;
    const defaults = this.defaults as Record<string, unknown>;
    const changed = Object.keys(changes).filter((key) => JSON.stringify(next[key]) !== JSON.stringify(current[key]));
    this.db.transaction((tx) => {
      for (const key of changed) {
        const row = { key: `${this.prefix}${key}`, value: JSON.stringify(next[key]), updatedAt: now };
        if (row.value === JSON.stringify(defaults[key])) tx.delete(meta).where(eq(meta.key, row.key)).run();
        else tx.insert(meta).values(row).onConflictDoUpdate({ target: meta.key, set: { value: row.value, updatedAt: now } }).run();
      }
    });
    this.current = null;
    return this.get();
  }

  private load(): Static<S> {
    const settings: Record<string, unknown> = { ...this.defaults };
    const rows = this.db.select().from(meta).where(like(meta.key, `${this.prefix}%`)).all();
    for (const row of rows) {
      const key = row.key.slice(this.prefix.length);
      const property = this.schema.properties[key];
      let value: unknown;
      try {
        value = JSON.parse(row.value);
      } catch {
        value = undefined;
      }
      if (property && value !== undefined && Value.Check(property, value)) settings[key] = value;
      else this.log.warn({ setting: row.key }, "stored setting is not valid; its default applies");
    }
    return settings as Static<S>;
  }
}
