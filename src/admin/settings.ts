import type { TObject, TSchema } from "@sinclair/typebox";
import type { SettingsSection } from "../db/settings.ts";
import { AppError, literalChoices as choicesOf } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { AuditLog } from "./audit.ts";
import type { SettingField, SettingsView } from "./model.ts";

type AnySection = SettingsSection<TObject>;


/** One setting as the page draws it, named as its form sends it (`rewards.done` for a value inside an object). */
function fieldsOf(key: string, schema: TSchema, value: unknown, fallback: unknown): SettingField[] {
  const label = (schema.title as string | undefined) ?? key;
  const help = (schema.description as string | undefined) ?? "";
  if (schema.type === "object") {
    const values = value as Record<string, unknown>;
    const fallbacks = fallback as Record<string, unknown>;
    return Object.entries(schema.properties as Record<string, TSchema>).flatMap(([inner, innerSchema]) =>
      fieldsOf(`${key}.${inner}`, innerSchema, values[inner], fallbacks[inner]).map((field) => ({ ...field, group: label, groupHelp: help })),
    );
  }
  const options = schema.type === "array" ? choicesOf(schema.items as TSchema) : choicesOf(schema);
  const kind = schema.type === "array" ? "choices" : options ? "choice" : schema.type === "integer" ? "integer" : "number";
  return [
    {
      name: key,
      kind,
      label,
      help,
      options: options ?? undefined,
      // An exclusive bound has no form attribute: the server's check says it.
      min: schema.minimum as number | undefined,
      max: schema.maximum as number | undefined,
      value: value as SettingField["value"],
      fallback: fallback as SettingField["value"],
    },
  ];
}

/** A decimal number as the form sent it (an exponent too, as the page may show one; not hex or binary), or a refusal naming the setting. */
function numberFrom(section: string, name: string, text: string | undefined): number {
  if (text === undefined || !/^\s*-?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?\s*$/i.test(text)) throw new AppError("invalid", "invalid_settings", `${section}.${name}: must be a number`);
  return Number(text);
}

/** The value of one setting from a form's fields. */
function valueFrom(section: string, key: string, schema: TSchema, form: Record<string, unknown>): unknown {
  if (schema.type === "object") {
    return Object.fromEntries(Object.entries(schema.properties as Record<string, TSchema>).map(([inner, innerSchema]) => [inner, valueFrom(section, `${key}.${inner}`, innerSchema, form)]));
  }
  // Checkboxes: an unticked box sends nothing.
  if (schema.type === "array") return (choicesOf(schema.items as TSchema) ?? []).filter((option) => form[`${key}.${option}`] === "on");
  if (choicesOf(schema)) return form[key];
  const text = form[key];
  return numberFrom(section, key, typeof text === "string" ? text : undefined);
}

/** A value as the audit log and the page's notice say it. */
const shown = (value: unknown) => (Array.isArray(value) ? value.join(", ") || "none" : String(value));

/** "key before → after" for each of `keys` that changed; inside an object, for each value that did (`rewards.helpful 0.5 → 0.6`). */
function differences(before: Record<string, unknown>, after: Record<string, unknown>, keys: string[], prefix = ""): string[] {
  return keys.flatMap((key) => {
    const [was, is] = [before[key], after[key]];
    if (JSON.stringify(was) === JSON.stringify(is)) return [];
    if (was && is && typeof was === "object" && !Array.isArray(was)) {
      const inner = [was, is] as Record<string, unknown>[];
      return differences(inner[0]!, inner[1]!, Object.keys(inner[1]!), `${prefix}${key}.`);
    }
    return [`${prefix}${key} ${shown(was)} → ${shown(is)}`];
  });
}

/**
 * The console's Settings page: every module's settings section, drawn from its schema (titles,
 * descriptions, bounds, defaults), changed whole per section, checked before anything is stored,
 * and audited with what changed. The modules read their section at each use: no restart.
 */
export class SettingsAdmin {
  constructor(
    private readonly deps: {
      sections: AnySection[];
      audit: AuditLog;
      log: Logger;
    },
  ) {}

  /** The sections, in the page's order: each gets its form and its PATCH route. */
  get sections(): readonly AnySection[] {
    return this.deps.sections;
  }

  /** Every section's current values, as the API gives them. */
  values(): Record<string, Record<string, unknown>> {
    return Object.fromEntries(this.deps.sections.map((section) => [section.name, section.get()]));
  }

  /** Every section as the page draws it. */
  view(): SettingsView {
    return this.deps.sections.map((section) => {
      const current = section.get() as Record<string, unknown>;
      const defaults = section.defaults as Record<string, unknown>;
      return {
        name: section.name,
        fields: Object.entries(section.schema.properties).flatMap(([key, schema]) => fieldsOf(key, schema, current[key], defaults[key])),
      };
    });
  }

  /** Changes some settings of one section (checked whole first; nothing stored on a refusal); audited. Returns what changed, said. */
  update(adminId: string, name: string, changes: Record<string, unknown>): string {
    return this.audited(adminId, () => this.apply(adminId, name, changes));
  }

  /** The same from the page's form: every field of the section, as text. */
  updateFromForm(adminId: string, name: string, form: Record<string, unknown>): string {
    return this.audited(adminId, () => {
      const { schema } = this.section(name);
      const changes = Object.fromEntries(Object.entries(schema.properties).map(([key, field]) => [key, valueFrom(name, key, field, form)]));
      return this.apply(adminId, name, changes);
    });
  }

  /** A change refused (a value out of bounds, not a number) is audited too, then thrown on. */
  private audited(adminId: string, change: () => string): string {
    try {
      return change();
    } catch (error) {
      if (error instanceof AppError) this.deps.audit.record({ actorId: adminId, action: "settings.update", result: "failed", detail: error.message });
      throw error;
    }
  }

  private apply(adminId: string, name: string, changes: Record<string, unknown>): string {
    const section = this.section(name);
    const before = section.get() as Record<string, unknown>;
    const after = section.update(changes) as Record<string, unknown>;
    const changed = differences(before, after, Object.keys(changes));
    if (changed.length === 0) return `${name}: nothing changed`;
    const detail = `${name}: ${changed.join("; ")}`;
    this.deps.audit.record({ actorId: adminId, action: "settings.update", result: "ok", detail });
    this.deps.log.info({ adminId, section: name, changed }, "settings changed");
    return detail;
  }

  private section(name: string): AnySection {
    const section = this.deps.sections.find((candidate) => candidate.name === name);
    if (!section) throw new AppError("not_found", "no_such_settings", `There are no settings named ${name}.`);
    return section;
  }
}
