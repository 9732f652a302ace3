import type { SettingField, SettingsView } from "../../src/admin/model.ts";
import { AdminLayout, Notice } from "./components.tsx";

/** Each section's heading and what it covers. */
const SECTIONS: Record<string, { title: string; about: string }> = {
  recommender: { title: "Recommender", about: "How tips are chosen and what reactions teach. Changes apply to the next tip." },
  notifier: { title: "Notifications", about: "When a tip is worth a push. Changes apply from the next round." },
  admin: { title: "Console", about: "What the console keeps." },
};

const shown = (value: SettingField["value"]) => (Array.isArray(value) ? value.join(", ") || "none" : String(value));

/** A refused form as it was sent: its fields by name. */
type Typed = Record<string, unknown> | undefined;

/** A field's value as the form shows it: as typed when a refused form comes back, else as stored. */
function valueOf(field: SettingField, typed: Typed): SettingField["value"] {
  if (!typed) return field.value;
  if (field.kind === "choices") return (field.options ?? []).filter((option) => typed[`${field.name}.${option}`] === "on");
  const sent = typed[field.name];
  return typeof sent === "string" ? sent : field.value;
}

function Input({ section, field, typed }: { section: string; field: SettingField; typed: Typed }) {
  const value = valueOf(field, typed);
  const id = `${section}-${field.name.replaceAll(".", "-")}`;
  const hint = `${id}-hint`;
  const help = `${field.help ? `${field.help} ` : ""}Default: ${shown(field.fallback)}.`;
  if (field.kind === "choices") {
    return (
      <fieldset class="setting" aria-describedby={hint}>
        <legend safe>{field.label}</legend>
        {(field.options ?? []).map((option) => (
          <label class="inline">
            <input type="checkbox" name={`${field.name}.${option}`} value="on" checked={(value as string[]).includes(option)} />
            <span safe>{option}</span>
          </label>
        ))}
        <p class="hint" id={hint} safe>
          {help}
        </p>
      </fieldset>
    );
  }
  return (
    <div class="setting">
      <label for={id} safe>
        {field.label}
      </label>
      {field.kind === "choice" ? (
        <select id={id} name={field.name} aria-describedby={hint}>
          {(field.options ?? []).map((option) => (
            <option value={option} selected={option === value} safe>
              {option}
            </option>
          ))}
        </select>
      ) : (
        <input
          id={id}
          name={field.name}
          type="number"
          step={field.kind === "integer" ? "1" : "any"}
          min={field.min === undefined ? undefined : String(field.min)}
          max={field.max === undefined ? undefined : String(field.max)}
          value={String(value)}
          required
          aria-describedby={hint}
        />
      )}
      <p class="hint" id={hint} safe>
        {help}
      </p>
    </div>
  );
}

/** A section's fields, those inside one object (the rewards) together under its name. */
function Fields({ section, fields, typed }: { section: string; fields: SettingField[]; typed: Typed }) {
  const groups: { group?: string; help?: string; fields: SettingField[] }[] = [];
  for (const field of fields) {
    const last = groups.at(-1);
    if (field.group && last?.group === field.group) last.fields.push(field);
    else groups.push({ group: field.group, help: field.groupHelp, fields: [field] });
  }
  return (
    <>
      {groups.map((group) =>
        group.group ? (
          <fieldset class="setting-group">
            <legend safe>{group.group}</legend>
            {group.help ? (
              <p class="hint" safe>
                {group.help}
              </p>
            ) : (
              ""
            )}
            <div class="setting-grid">
              {group.fields.map((field) => (
                <Input section={section} field={field} typed={typed} />
              ))}
            </div>
          </fieldset>
        ) : (
          <Input section={section} field={group.fields[0]!} typed={typed} />
        ),
      )}
    </>
  );
}

/** Every settings section as a form of its own: saved whole, checked first, audited. */
export function SettingsPage({
  sections,
  done,
  failed,
  typed,
}: {
  sections: SettingsView;
  done?: string;
  failed?: string;
  typed?: { section: string; form: Record<string, unknown> };
}) {
  return (
    <AdminLayout title="Settings" path="/admin/settings">
      <Notice text={done} />
      <Notice text={failed} alert />
      <p class="dim">Kept in the database and read at each use: a change needs no restart, and travels with backups. Every change is in the audit log.</p>
      {sections.map((section) => {
        const about = SECTIONS[section.name] ?? { title: section.name, about: "" };
        return (
          <section class="settings-section" aria-labelledby={`settings-${section.name}`}>
            <h2 id={`settings-${section.name}`} safe>
              {about.title}
            </h2>
            <p class="dim" safe>
              {about.about}
            </p>
            <form method="post" action={`/admin/settings/${section.name}`}>
              <Fields section={section.name} fields={section.fields} typed={typed?.section === section.name ? typed.form : undefined} />
              <button type="submit" safe>{`Save ${about.title.toLowerCase()} settings`}</button>
            </form>
          </section>
        );
      })}
    </AdminLayout>
  );
}
