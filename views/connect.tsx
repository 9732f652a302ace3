import type { PropsWithChildren } from "@kitajs/html";
import { BackToTip, Footer, Layout } from "./layout.tsx";

export interface IntegrationAction {
  /** A form POSTs here, so the button works without JavaScript. */
  url: string;
  label: string;
  quiet?: boolean;
}

export interface IntegrationRow {
  provider: string;
  name: string;
  /** What it brings, in a few words. */
  description: string;
  status: string;
  /** One form per action; none when there is nothing to do (e.g. not configured). */
  actions?: IntegrationAction[];
  /** Marks a row that needs the person's attention (a grant the provider refused). */
  attention?: boolean;
}

/** What the connect page says after a connect, a denial, a failure or a disconnect (`/connect?todoist=<outcome>`). */
export const connectMessages: Record<string, string> = {
  connected: "Todoist is connected. Your open tasks arrive in a moment.",
  denied: "Todoist was not connected: access was not allowed. Nothing was saved.",
  state: "That connection attempt expired or did not start here. Nothing was saved; try again.",
  failed: "Todoist did not complete the connection. Nothing was saved; try again in a moment.",
  unavailable: "Todoist is not set up on this instance.",
  disconnected: "Todoist is disconnected. Its tasks were removed from oO and its access revoked.",
};

/** The list of what oO can learn from, and the way to the account page. */
export function ConnectPage({ rows, notice, children }: PropsWithChildren<{ rows: IntegrationRow[]; notice?: string }>) {
  return (
    <Layout title="Connect">
      <main>
        <BackToTip />
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
            <li data-provider={row.provider}>
              <div>
                <div safe>{row.name}</div>
                <div class="status" safe>
                  {row.description}
                </div>
                <div class="status" role={row.attention ? "alert" : undefined} safe>
                  {row.status}
                </div>
              </div>
              <div class="row-actions">
                {(row.actions ?? []).map((action) => (
                  <form method="post" action={action.url}>
                    <button type="submit" class={action.quiet ? "quiet" : ""} safe>
                      {action.label}
                    </button>
                  </form>
                ))}
              </div>
            </li>
          ))}
        </ul>
        {children}
        <p>
          <a href="/account">Account</a>
        </p>
      </main>
      <Footer />
    </Layout>
  );
}
