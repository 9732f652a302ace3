import type { Tip } from "../src/recommender/model.ts";
import { assetUrl } from "../src/http/static.ts";
import { TimezoneDetect } from "./account.tsx";
import { Layout } from "./layout.tsx";

/** `sheetOnly`: its shortcut acts only with the sheet open (done closes the task upstream, dismiss hides it a day). */
const ACTIONS = [
  { action: "done", label: "Done", key: "d", sheetOnly: true },
  { action: "snooze", label: "Snooze", key: "s", sheetOnly: false },
  { action: "dismiss", label: "Dismiss", key: "x", sheetOnly: true },
  { action: "helpful", label: "Helpful", key: "h", sheetOnly: false },
  { action: "not_helpful", label: "Not helpful", key: "n", sheetOnly: false },
] as const;

/** The swappable part of the page: the tip, its "why", and its action sheet. */
export function TipCard({ tip }: { tip: Tip }) {
  const action = `/tip/${encodeURIComponent(tip.id)}/feedback`;
  return (
    <section id="tip" class="tip" data-tip-id={tip.id} data-kind={tip.kind}>
      <details class="sheet-toggle">
        <summary class="tip-text" safe>
          {tip.content}
        </summary>
        <form class="sheet" method="post" action={action} hx-post={action} hx-target="#tip" hx-swap="outerHTML" hx-sync="drop">
          {ACTIONS.map(({ action: value, label, key, sheetOnly }) => (
            <button type="submit" name="action" value={value} data-key={key} data-sheet-only={sheetOnly ? "" : undefined} class={value === "done" ? "" : "quiet"}>
              {label}
              <kbd aria-hidden="true">{key}</kbd>
            </button>
          ))}
        </form>
      </details>
      <details class="why">
        <summary>why</summary>
        <p safe>{tip.why}</p>
      </details>
    </section>
  );
}

export function TipPage({ tip, detectTimezone }: { tip: Tip; detectTimezone: boolean }) {
  return (
    <Layout htmx bodyClass="tip-page" scripts={[assetUrl("tip.js")]}>
      <main class="tip-main">
        <h1 class="sr-only">Your tip</h1>
        <TipCard tip={tip} />
      </main>
      <nav class="corner">
        <a href="/connect">connect</a>
        <a href="/account">account</a>
      </nav>
      {detectTimezone ? <TimezoneDetect /> : ""}
    </Layout>
  );
}
