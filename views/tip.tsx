import type { FeedbackAction, TipScreen } from "../src/recommender/model.ts";
import { assetUrl } from "../src/http/static.ts";
import { TimezoneDetect } from "./account.tsx";
import { Layout } from "./layout.tsx";

/** `sheetOnly`: its shortcut acts only with the sheet open (done closes the task upstream, dismiss hides it a day). */
const MAIN_ACTIONS = [
  { action: "done", label: "Done", shortcut: "d", sheetOnly: true },
  { action: "snooze", label: "Snooze", shortcut: "s", sheetOnly: false },
  { action: "dismiss", label: "Dismiss", shortcut: "x", sheetOnly: true },
] as const;
const RATINGS = [
  { action: "helpful", label: "Helpful", shortcut: "h", sheetOnly: false },
  { action: "not_helpful", label: "Not helpful", shortcut: "n", sheetOnly: false },
] as const;

/** What the undo line says was done. */
const DONE_LABELS: Record<FeedbackAction, string> = {
  done: "Done",
  snooze: "Snoozed",
  dismiss: "Dismissed",
  helpful: "Marked helpful",
  not_helpful: "Marked not helpful",
};

/** Past these many characters a tip is set smaller, so it fits a phone held sideways. */
const LONG_TIP = 90;
const VERY_LONG_TIP = 200;

function ActionButton({ action, label, shortcut, sheetOnly, primary }: { action: FeedbackAction; label: string; shortcut: string; sheetOnly: boolean; primary?: boolean }) {
  return (
    <button type="submit" name="action" value={action} data-key={shortcut} data-sheet-only={sheetOnly ? "" : undefined} class={primary ? "" : "quiet"}>
      <span safe>{label}</span>
      <kbd aria-hidden="true" safe>
        {shortcut}
      </kbd>
    </button>
  );
}

/** The swappable part of the page: the tip, its actions (or, with nothing to suggest, what comes next), the undo, and its "why". */
export function TipCard({ screen }: { screen: TipScreen }) {
  const { tip, undo, empty, notice, firstRun } = screen;
  const action = `/tip/${encodeURIComponent(tip.id)}/feedback`;
  const textClass = tip.content.length > VERY_LONG_TIP ? "tip-text long very" : tip.content.length > LONG_TIP ? "tip-text long" : "tip-text";
  return (
    <section id="tip" class="tip" data-tip-id={tip.id} data-kind={tip.kind}>
      {empty ? (
        <div class="tip-body" data-next-at={empty.nextAtMs ?? undefined}>
          <p class={textClass} safe>
            {tip.content}
          </p>
          {empty.nextAt ? (
            <p class="dim" data-local-time safe>
              {`Next tip around ${empty.nextAt}.`}
            </p>
          ) : (
            ""
          )}
          {empty.connect ? (
            <p>
              <a class="button" href="/connect">
                Connect Todoist
              </a>
            </p>
          ) : (
            ""
          )}
        </div>
      ) : (
        <details class="sheet-toggle">
          <summary class={textClass} safe>
            {tip.content}
          </summary>
          <form class="sheet" method="post" action={action} hx-post={action} hx-target="#tip" hx-swap="outerHTML" hx-sync="drop" aria-label="What to do with this tip">
            <button type="button" class="handle" data-close aria-label="Close">
              <span aria-hidden="true"></span>
            </button>
            <div class="actions">
              {MAIN_ACTIONS.map((item) => (
                <ActionButton {...item} primary={item.action === "done"} />
              ))}
            </div>
            <div class="ratings">
              {RATINGS.map((item) => (
                <ActionButton {...item} />
              ))}
            </div>
            <p class="sheet-status" role="status"></p>
          </form>
        </details>
      )}
      {firstRun && !empty ? (
        <p class="hint dim" data-first-run>
          One tip at a time. Tap it for what you can do.
        </p>
      ) : (
        ""
      )}
      {undo ? (
        <form
          class="undo"
          method="post"
          action={`/tip/${encodeURIComponent(undo.tipId)}/undo`}
          hx-post={`/tip/${encodeURIComponent(undo.tipId)}/undo`}
          hx-target="#tip"
          hx-swap="outerHTML"
          hx-sync="drop"
        >
          <span role="status" safe>
            {DONE_LABELS[undo.action]}
          </span>
          <button type="submit" class="link" data-key="z" data-undo>
            Undo
            <kbd aria-hidden="true">z</kbd>
          </button>
        </form>
      ) : notice ? (
        <p class="undo notice-line" role="status" safe>
          {notice}
        </p>
      ) : (
        ""
      )}
      <details class="why">
        <summary>why</summary>
        <p safe>{tip.why}</p>
      </details>
    </section>
  );
}

export function TipPage({ screen, detectTimezone, admin = false }: { screen: TipScreen; detectTimezone: boolean; admin?: boolean }) {
  return (
    <Layout htmx bodyClass="tip-page" scripts={[assetUrl("tip.js"), assetUrl("push.js")]}>
      <main class="tip-main">
        <h1 class="sr-only">Your tip</h1>
        <TipCard screen={screen} />
      </main>
      {/* Offered once per device by push.js, where the browser can take notifications; never without it. */}
      <aside id="push-offer" class="push-offer" hidden aria-label="Notifications">
        <span data-offer-text role="status">
          Get a tip as a notification when one is worth it?
        </span>
        <button type="button" data-offer-on>
          Turn on
        </button>
        <button type="button" data-offer-later>
          Not now
        </button>
      </aside>
      <nav class="corner" aria-label="More">
        <a href="/connect">connect</a>
        <a href="/account">account</a>
        {admin ? <a href="/admin">admin</a> : ""}
      </nav>
      {detectTimezone ? <TimezoneDetect /> : ""}
    </Layout>
  );
}
