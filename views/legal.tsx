import { BackToTip, Footer, Layout } from "./layout.tsx";

export interface LegalPageProps {
  /** The host this instance answers on, which names its operator. */
  host: string;
  version: string;
  retentionDays: number;
  /** Host of the configured LLM endpoint, when tip generation is on. */
  llmHost: string | null;
  errorCapture: boolean;
}

function Operator({ host }: { host: string }) {
  return (
    <>
      the person or organisation that runs this instance at <b safe>{host}</b> (the <em>operator</em>)
    </>
  );
}

export function TermsPage({ host, version }: LegalPageProps) {
  return (
    <Layout title="Terms">
      <main>
        <BackToTip />
        <h1>Terms of use</h1>
        <p class="dim" safe>
          Version {version}
        </p>

        <h2>Who you deal with</h2>
        <p>
          oO is self-hosted software. This instance is provided by <Operator host={host} />, not by the authors of the
          software. The operator decides who may use it and answers your questions about it.
        </p>

        <h2>What oO does</h2>
        <p>
          oO shows you one tip at a time: a task from your to-do list to do now, or a piece of advice. It learns from how you
          react (done, snooze, dismiss, helpful, not helpful) to choose better tips. Advice is general and is not medical,
          legal or financial advice.
        </p>

        <h2>Your account</h2>
        <ul>
          <li>An account is for one person. You sign in with Google (the operator also with a one-time link); there is no password.</li>
          <li>Sign out on devices you share. Deleting your account ends every session at once.</li>
          <li>
            When you connect an integration such as Todoist, you allow oO to read your tasks and, when you press Done, to mark
            that task complete there. You can disconnect at any time.
          </li>
        </ul>

        <h2>Fair use</h2>
        <p>
          Do not try to reach other people's data, overload or probe the service, or use it to break the law. The operator may
          suspend an account that does.
        </p>

        <h2>No guarantee</h2>
        <p>
          The instance is provided as it is, without warranty. It may be unavailable, and the operator may shut it down; export
          your data from your account page whenever you want a copy.
        </p>

        <h2>Leaving</h2>
        <p>
          You can delete your account at any time from your <a href="/account">account page</a>. Deletion is immediate and
          final; see the <a href="/legal/privacy">privacy notice</a> for what that removes.
        </p>

        <h2>Changes</h2>
        <p>
          When these terms change, the version above changes and signing in again accepts the new version. Each acceptance is
          recorded with its version and time.
        </p>
      </main>
      <Footer />
    </Layout>
  );
}

export function PrivacyPage({ host, version, retentionDays, llmHost, errorCapture }: LegalPageProps) {
  return (
    <Layout title="Privacy">
      <main>
        <BackToTip />
        <h1>Privacy notice</h1>
        <p class="dim" safe>
          Version {version}
        </p>

        <h2>Who is responsible</h2>
        <p>
          Your data is held by <Operator host={host} />, on a server they run, in a single database file. The authors of the
          oO software never receive it. Ask the operator about anything on this page.
        </p>

        <h2>What is stored, and why</h2>
        <ul>
          <li>
            <b>Your account</b>: an id, your email address and name as Google gives them, your time zone, quiet hours and push
            preference. To recognise you and to time tips in your day.
          </li>
          <li>
            <b>How you sign in</b>: your Google account id and email. Not your Google password, and no Google access token: oO
            asks Google who you are, nothing more.
          </li>
          <li>
            <b>Sessions</b>: a SHA-256 fingerprint of your session cookie (never the cookie itself), when the session started,
            when it was last used, when it ends, and your browser's name. To keep you signed in and to let sessions be ended.
          </li>
          <li>
            <b>Your acceptance of these documents</b>: which version, how and when.
          </li>
          <li>
            <b>Your tasks, if you connect Todoist</b>: only what choosing a tip needs: each task's text, description, priority,
            due date, deadline, duration, labels and project id. Not comments, attachments or collaborators. The Todoist access
            token is stored encrypted.
          </li>
          <li>
            <b>Tips and your reactions</b>: the tips shown to you, your reactions, the scores behind each choice, your personal
            model, and a log of these events. To learn what helps you.
          </li>
          <li>
            <b>Push subscription</b>, if you turn notifications on: the address your browser gives for delivering them.
          </li>
          <li>
            <b>Server logs</b>: for each request its method, path, status and duration. Never cookies or sign-in codes.
          </li>
        </ul>

        <h2>How long</h2>
        <p>
          The scores behind each tip and your reactions are deleted after {retentionDays} days. Sessions end after 30 days
          without use (24 hours for admin-token sessions). Everything else is kept while your account exists and removed when
          you delete it.
        </p>

        <h2>Who else sees it</h2>
        <p>
          Nobody buys it: your data is never sold, rented or used for advertising, and oO has no analytics or trackers. It
          leaves the server only to do what you asked for: to Google when you sign in, to Todoist when you connect it and mark
          tasks done, and to your browser's push service when you turn notifications on.
        </p>
        {llmHost ? (
          <p>
            This instance writes tips with a language model at <b safe>{llmHost}</b>: the text of some of your tasks and your
            recent reactions are sent there to write them.
          </p>
        ) : (
          ""
        )}
        {errorCapture ? (
          <p>This instance reports its own errors to an error-tracking service; reports describe the failure, not your data.</p>
        ) : (
          ""
        )}

        <h2>Your data, your call</h2>
        <ul>
          <li>
            <b>See it</b>: "Download my data" on your <a href="/account">account page</a> gives you everything stored about you
            as one JSON file (stored secrets are withheld).
          </li>
          <li>
            <b>Correct it</b>: your time zone, quiet hours and notifications are on the same page; name and email follow your
            Google account.
          </li>
          <li>
            <b>Erase it</b>: "Delete my account" erases every row about you at once, ends your sessions and disconnects your
            integrations. What remains is a tombstone: the random account id and the time of deletion, so the deletion itself
            can be shown. Backups taken before that day disappear as the operator's backups rotate. oO keeps no Google token,
            so it cannot withdraw its sign-in permission for you: remove it from the third-party apps listed in your Google
            account if you wish.
          </li>
        </ul>

        <h2>Cookies</h2>
        <ul>
          <li>
            <code>sid</code>: keeps you signed in. HttpOnly, first-party, 30 days, renewed while you use oO.
          </li>
          <li>
            <code>oauth_state</code>, <code>oauth_verifier</code>, <code>oauth_next</code>: only while you sign in with Google,
            for 10 minutes, to protect that exchange and bring you back where you were.
          </li>
        </ul>
        <p>No other cookies, and none from anyone else.</p>

        <h2>Changes</h2>
        <p>When this notice changes, the version above changes and signing in again accepts the new version.</p>
      </main>
      <Footer />
    </Layout>
  );
}
