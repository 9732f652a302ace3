import { variables } from "../../src/config.ts";
import backups from "./docs/backups.md" with { type: "text" };
import configuration from "./docs/configuration.md" with { type: "text" };
import health from "./docs/health.md" with { type: "text" };
import keys from "./docs/keys.md" with { type: "text" };
import upgrading from "./docs/upgrading.md" with { type: "text" };
import { AdminLayout, WideTable } from "./components.tsx";

const SOURCES = [
  { id: "configuration", markdown: configuration },
  { id: "backups", markdown: backups },
  { id: "keys", markdown: keys },
  { id: "upgrading", markdown: upgrading },
  { id: "health", markdown: health },
];

/**
 * The operator's documentation, written in views/admin/docs/*.md and built into the executable.
 * Rendered on the first visit, then kept, and the Markdown library is loaded only then: neither
 * is worth delaying every start for. The Markdown is this repository's own, so its HTML is trusted as is.
 */
let rendered: Promise<{ id: string; title: string; safeHtml: string }[]> | null = null;
const docs = () =>
  (rendered ??= import("marked").then(({ marked }) =>
    SOURCES.map(({ id, markdown }) => ({
      id,
      title: /^# (.+)$/m.exec(markdown)![1]!,
      // Each document's title becomes a section heading under the page's own.
      safeHtml: marked.parse(markdown.replace(/^# .+\n/, ""), { async: false }),
    })),
  ));

const defaultOf = (spec: { default?: string }): string => spec.default || "—";

function VariablesTable() {
  return (
    <WideTable label="Environment variables">
      <table class="table">
        <thead>
          <tr>
            <th scope="col">Variable</th>
            <th scope="col">Default</th>
            <th scope="col">What it does</th>
          </tr>
        </thead>
        <tbody>
          {Object.entries(variables).map(([name, spec]) => (
            <tr>
              <td class="code" safe>
                {name}
              </td>
              <td class="code" safe>
                {defaultOf(spec)}
              </td>
              <td safe>{spec.help}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </WideTable>
  );
}

export async function DocsPage() {
  const all = await docs();
  return (
    <AdminLayout title="Documentation" path="/admin/docs">
      <nav aria-label="Contents" class="toc">
        <ul class="plain">
          {all.map((doc) => (
            <li>
              <a href={`#${doc.id}`} safe>
                {doc.title}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      {all.map(({ id, title, safeHtml }) => (
        <section id={id} class="doc" aria-labelledby={`${id}-title`}>
          <h2 id={`${id}-title`} safe>
            {title}
          </h2>
          {safeHtml}
          {id === "configuration" ? <VariablesTable /> : ""}
        </section>
      ))}
    </AdminLayout>
  );
}
