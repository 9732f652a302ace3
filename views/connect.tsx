import type { PropsWithChildren } from "@kitajs/html";
import { Footer, Layout } from "./layout.tsx";

export interface IntegrationRow {
  provider: string;
  name: string;
  /** What it brings, in a few words. */
  description: string;
  status: string;
  /** A form that POSTs to `url`; absent when there is nothing to do (e.g. not configured). */
  action?: { url: string; label: string; quiet?: boolean };
}

/** The list of what oO can learn from, and the way to the account page. */
export function ConnectPage({ rows, notice, children }: PropsWithChildren<{ rows: IntegrationRow[]; notice?: string }>) {
  return (
    <Layout title="Connect">
      <main>
        <h1>Connect</h1>
        <p class="dim">oO reads what you connect, in the background, to choose your next tip.</p>
        {notice ? (
          <p class="notice" role="status" safe>
            {notice}
          </p>
        ) : (
          ""
        )}
        <ul class="list">
          {rows.map((row) => (
            <li>
              <div>
                <div safe>{row.name}</div>
                <div class="status" safe>
                  {row.description}
                </div>
                <div class="status" safe>
                  {row.status}
                </div>
              </div>
              {row.action ? (
                <form method="post" action={row.action.url}>
                  <button type="submit" class={row.action.quiet ? "quiet" : ""} safe>
                    {row.action.label}
                  </button>
                </form>
              ) : (
                ""
              )}
            </li>
          ))}
        </ul>
        {children}
        <p>
          <a href="/">Back to your tip</a> · <a href="/account">Account</a>
        </p>
      </main>
      <Footer />
    </Layout>
  );
}
