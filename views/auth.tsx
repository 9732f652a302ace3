import type { SignInFailure } from "../src/auth/provider.ts";
import type { SitePath } from "../src/http/redirect.ts";
import { Footer, Layout } from "./layout.tsx";

/** The sentence shown for each way a sign-in can fail; the query string only ever picks one. */
export const signInFailureMessages: Record<SignInFailure, string> = {
  denied: "Google sign-in was cancelled, so you are not signed in. Nothing was stored.",
  state: "This sign-in attempt expired or was started in another tab. Please try again.",
  exchange: "Google did not accept this sign-in (the code may already have been used). Please try again.",
  token: "Google's answer could not be verified, so you were not signed in. Please try again.",
  unverified: "Your Google account has no verified email address. Verify it with Google, then try again.",
  unavailable: "Google could not be reached just now. Please try again in a moment.",
};

/** One line after leaving, so the person knows it worked; the query string only ever picks one. */
export const signInNotices = {
  "signed-out": "You are signed out.",
  deleted: "Your account and everything oO stored about you are deleted.",
  expired: "Your session ended, so your last action was not saved. Sign in to go on.",
} as const;
export type SignInNotice = keyof typeof signInNotices;

function ConsentNote() {
  return (
    <p class="dim">
      By signing in you accept the <a href="/legal/terms">terms</a> and the <a href="/legal/privacy">privacy notice</a>.
    </p>
  );
}

export interface SignInPageProps {
  googleEnabled: boolean;
  adminTokenEnabled: boolean;
  /** The hidden `next` field: only ever a checked path on this site. */
  next: SitePath;
  failure?: SignInFailure;
  notice?: SignInNotice;
}

export function SignInPage({ googleEnabled, adminTokenEnabled, next, failure, notice }: SignInPageProps) {
  return (
    <Layout title="Sign in">
      <main class="center">
        <h1 class="mark" aria-label="oO">
          o<b>O</b>
        </h1>
        {failure ? (
          <p class="notice" role="alert" safe>
            {signInFailureMessages[failure]}
          </p>
        ) : (
          ""
        )}
        {notice ? (
          <p class="notice" role="status">
            {signInNotices[notice]}
          </p>
        ) : (
          ""
        )}
        {googleEnabled ? (
          <>
            <form method="post" action="/api/auth/login">
              <input type="hidden" name="next" value={next} />
              <button type="submit">Continue with Google</button>
            </form>
            <ConsentNote />
          </>
        ) : (
          <p class="dim">This instance is not open for sign-in yet.</p>
        )}
        {adminTokenEnabled ? (
          <p>
            <a href="/admin/login">Sign in with the admin token</a>
          </p>
        ) : (
          ""
        )}
      </main>
      <Footer />
    </Layout>
  );
}

export interface AdminLoginPageProps {
  enabled: boolean;
  /** The hidden `next` field: only ever a checked path on this site. */
  next: SitePath;
  message?: string;
}

export function AdminLoginPage({ enabled, next, message }: AdminLoginPageProps) {
  return (
    <Layout title="Admin sign-in">
      <main>
        <p class="back">
          <a href="/signin">← Sign in</a>
        </p>
        <h1>Admin sign-in</h1>
        {message ? (
          <p class="notice" role="alert" safe>
            {message}
          </p>
        ) : (
          ""
        )}
        {enabled ? (
          <form method="post" action="/admin/login">
            <input type="hidden" name="next" value={next} />
            <label for="token">Admin token (the server's ADMIN_TOKEN)</label>
            <input id="token" name="token" type="password" autocomplete="current-password" required />
            <p>
              <button type="submit">Sign in for 24 hours</button>
            </p>
          </form>
        ) : (
          <p class="dim">
            Token sign-in is off on this instance: ADMIN_TOKEN is not set. The owner can print a one-time sign-in link on the server with <code>oo admin-link</code>.
          </p>
        )}
      </main>
      <Footer />
    </Layout>
  );
}

export interface SetupPageProps {
  /** Null when the link is unknown, used or expired. */
  token: string | null;
  ownerExists: boolean;
}

export function SetupPage({ token, ownerExists }: SetupPageProps) {
  return (
    <Layout title="Owner setup">
      <main class="center">
        <h1>{!token ? "This link no longer works" : ownerExists ? "Sign in as the owner" : "Create the owner account"}</h1>
        {token ? (
          <>
            <p class="dim">
              {ownerExists
                ? "This one-time link signs you in to the owner account of this instance."
                : "This one-time link creates the account that runs this instance, with admin rights."}
            </p>
            <form method="post" action="/setup">
              <input type="hidden" name="token" value={token} />
              <button type="submit">{ownerExists ? "Sign in" : "Create the owner account"}</button>
            </form>
            <ConsentNote />
          </>
        ) : (
          <p class="notice">
            This link has expired or was already used. Run <code>oo admin-link</code> on the server for a fresh one.
          </p>
        )}
      </main>
      <Footer />
    </Layout>
  );
}
