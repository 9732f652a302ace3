import { assetUrl } from "../src/http/static.ts";
import type { Profile } from "../src/user/model.ts";
import { BackToTip, Footer, Layout } from "./layout.tsx";

/**
 * Sends the browser's time zone once, while the account has none confirmed. Pages showing
 * times (the tip page, /account) include it; a form field named `timezone`, if any, follows along.
 */
/**
 * Inline, so it costs no request; the CSP allows exactly this text by its hash. The answer is read
 * to the end (an unread one keeps the request open, so the page never goes network-idle); a failure
 * (offline, refused) is left for the next page to retry, with nothing to tell the person.
 */
export const TIMEZONE_DETECT_SCRIPT = `(function () {
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone) return;
  fetch("/api/user/profile", { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ timezone: zone }) })
    .then(function (response) {
      var field = document.querySelector("[name=timezone]");
      if (response.ok && field) field.value = zone;
      // A page that showed a time in the old zone (the tip page's "next tip around") shows it anew.
      if (response.ok && document.querySelector("[data-local-time]")) location.reload();
      return response.text();
    })
    .catch(function () {});
})();`;

export function TimezoneDetect() {
  return <script>{TIMEZONE_DETECT_SCRIPT}</script>;
}

export interface AccountPageProps {
  profile: Profile;
  timeZones: string[];
  saved?: boolean;
  problem?: string;
}

export function AccountPage({ profile, timeZones, saved, problem }: AccountPageProps) {
  const zones = timeZones.includes(profile.timezone) ? timeZones : [profile.timezone, ...timeZones];
  return (
    <Layout title="Account" scripts={[assetUrl("push.js")]}>
      <main>
        <BackToTip />
        <h1>Your account</h1>
        <p>
          <span safe>{profile.name ?? "No name"}</span>
          <br />
          <span class="dim" safe>
            {profile.email ?? "No email address"}
          </span>
          {profile.role === "admin" ? <span class="dim"> · admin</span> : ""}
        </p>
        {saved ? (
          <p class="notice" role="status">
            Saved.
          </p>
        ) : (
          ""
        )}
        {problem ? (
          <p class="notice" role="alert" safe>
            {problem}
          </p>
        ) : (
          ""
        )}

        <h2>When tips reach you</h2>
        <form method="post" action="/account">
          <label for="timezone">Time zone</label>
          <select id="timezone" name="timezone">
            {zones.map((zone) => (
              <option value={zone} selected={zone === profile.timezone} safe>
                {zone}
              </option>
            ))}
          </select>
          <label for="quietHoursStart">Quiet hours from</label>
          <input id="quietHoursStart" name="quietHoursStart" type="time" value={profile.quietHoursStart} required />
          <label for="quietHoursEnd">until</label>
          <input id="quietHoursEnd" name="quietHoursEnd" type="time" value={profile.quietHoursEnd} required />
          <p>
            <button type="submit">Save</button>
          </p>
        </form>

        {/* Shown by push.js where this browser can take notifications: nothing here works without it. */}
        <section id="notify" hidden aria-labelledby="notify-title">
          <h2 id="notify-title">Notifications</h2>
          <p class="dim" data-push-status role="status" aria-live="polite"></p>
          <p>
            <button type="button" data-push-on>
              Notify me
            </button>
            <button type="button" class="quiet" data-push-test hidden>
              Send a test
            </button>{" "}
            <button type="button" class="quiet" data-push-off hidden>
              Turn off on this device
            </button>
          </p>
        </section>

        <h2>Your data</h2>
        <p class="dim">Everything oO stores about you, as one JSON file.</p>
        <p>
          <a class="button quiet" href="/api/user/export">
            Download my data
          </a>
        </p>

        <h2>This device</h2>
        <form method="post" action="/signout">
          <button type="submit" class="quiet">
            Sign out
          </button>
        </form>

        <h2>Delete my account</h2>
        <details class="confirm">
          <summary>Erase my account and everything stored about me</summary>
          <p class="dim">
            This signs you out everywhere, disconnects your integrations and deletes your tasks, tips, feedback and settings at
            once. It cannot be undone. Download your data first if you want to keep it.
          </p>
          <form method="post" action="/account/delete">
            <button type="submit" class="danger">
              Delete my account now
            </button>
          </form>
        </details>
      </main>
      {profile.timezoneConfirmed ? "" : <TimezoneDetect />}
      <Footer />
    </Layout>
  );
}
