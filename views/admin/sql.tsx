import type { SavedQueries } from "../../src/admin/model.ts";
import type { SqlResult } from "../../src/admin/sql.ts";
import { AdminLayout, Notice, WideTable } from "./components.tsx";

const cell = (value: unknown) => (value === null ? "NULL" : typeof value === "object" ? JSON.stringify(value) : String(value));

function Results({ result }: { result: SqlResult }) {
  const summary = `${result.rows.length} row${result.rows.length === 1 ? "" : "s"} in ${result.ms} ms${result.truncated ? " (the first 1,000; more matched)" : ""}`;
  return (
    <section aria-label="Query result">
      <p role="status" safe>
        {summary}
      </p>
      {result.columns.length > 0 ? (
        <WideTable label="Result rows">
          <table class="table">
            <thead>
              <tr>
                {result.columns.map((column) => (
                  <th scope="col" safe>
                    {column}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {result.rows.map((row) => (
                <tr>
                  {row.map((value) => (
                    <td class="code" safe>
                      {cell(value)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </WideTable>
      ) : (
        ""
      )}
    </section>
  );
}

export function SqlPage({ sql, result, failed, saved }: { sql: string; result?: SqlResult; failed?: string; saved: SavedQueries }) {
  return (
    <AdminLayout title="SQL" path="/admin/sql" personal>
      <p class="dim">
        One read-only statement (SELECT, WITH or EXPLAIN) on a connection that cannot write; at most 1,000 rows and 1 s. Session tokens and provider tokens are stored
        hashed or encrypted, so that is all a query can show of them.
      </p>
      <form method="post" action="/admin/sql" class="sql-form">
        <label for="sql">Query</label>
        <textarea id="sql" name="sql" rows="6" maxlength="8000" required spellcheck="false" safe>
          {sql}
        </textarea>
        <div class="actions">
          <button type="submit">Run</button>
          <button type="submit" name="format" value="csv" class="quiet">
            Download CSV
          </button>
        </div>
        <div class="actions">
          <label for="name" class="inline">
            Save it as
          </label>
          <input id="name" name="name" maxlength="100" autocomplete="off" class="short" placeholder="a name" />
          <button type="submit" formaction="/admin/saved-queries" class="quiet">
            Save
          </button>
        </div>
      </form>
      <Notice text={failed} alert />
      {result ? <Results result={result} /> : ""}
      <h2>Saved queries</h2>
      {saved.queries.length === 0 ? (
        <p class="dim">None yet: write a query, name it, and save it.</p>
      ) : (
        <ul class="plain saved">
          {saved.queries.map((query) => (
            <li>
              <a href={`/admin/sql?saved=${query.id}`} safe>
                {query.name}
              </a>
              <form method="post" action={`/admin/saved-queries/${query.id}/delete`}>
                <button type="submit" class="quiet small" aria-label={`Delete: ${query.name}`}>
                  Delete
                </button>
              </form>
            </li>
          ))}
        </ul>
      )}
    </AdminLayout>
  );
}
