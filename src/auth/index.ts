import { type Cookie, Elysia } from "elysia";
import { AdminLoginPage, SetupPage, SignInPage, type SignInNotice, signInFailureMessages, signInNotices } from "../../views/auth.tsx";
import { AppError } from "../errors.ts";
import { cookieText, setFlowCookie } from "../http/cookies.ts";
import { showFormOnError } from "../http/errors.ts";
import { safeRedirectPath } from "../http/redirect.ts";
import { requestContext } from "../http/request-context.ts";
import type { Runtime } from "../runtime.ts";
import { MINUTE_MS } from "../time.ts";
import { clearSessionCookie, setSessionCookie } from "./guards.ts";
import { AdminLoginForm, AdminTokenBody, LoginForm, type SessionKind, SessionResponse, SetupForm, SignedInResponse } from "./model.ts";
import { type SignInFailure, SignInError } from "./provider.ts";
import { newToken, SESSION_COOKIE } from "./service.ts";

/** The sign-in button's form posts here (a form, not JSON). */
export const GOOGLE_LOGIN_PATH = "/api/auth/login";
const ADMIN_TOKEN_PATH = "/api/auth/token";
const LOGOUT_PATH = "/api/auth/logout";
/** The API routes that take a body from someone not signed in yet; every other one needs a session first. */
export const SIGNED_OUT_APIS = [GOOGLE_LOGIN_PATH, ADMIN_TOKEN_PATH, LOGOUT_PATH];

/** Cookies that live only between the sign-in button and Google's answer. */
const OAUTH_STATE = "oauth_state";
const OAUTH_VERIFIER = "oauth_verifier";
const OAUTH_NEXT = "oauth_next";
const OAUTH_COOKIE_PATH = "/api/auth";
const OAUTH_COOKIE_MAX_AGE_S = (10 * MINUTE_MS) / 1000;

type CookieJar = Record<string, Cookie<unknown>>;

const isSignInFailure = (value: unknown): value is SignInFailure => typeof value === "string" && value in signInFailureMessages;
const isSignInNotice = (value: unknown): value is SignInNotice => typeof value === "string" && Object.hasOwn(signInNotices, value);
/** Where an admin-token sign-in lands without a `next`: the console. */
const ADMIN_LANDING = "/admin";
/** The socket's peer; unknown when tests drive the app through `app.handle` (they all share one client). */
const peerAddress = (server: { requestIP(request: Request): { address: string } | null } | null, request: Request) =>
  server?.requestIP(request)?.address;

/**
 * Sign-in and sign-out: Google (authorization code + PKCE), the admin token, the owner setup
 * link, and the session probe the web client asks first.
 */
export function authRoutes({ config, log, bus, modules }: Runtime) {
  const auth = modules.auth;
  const { sessions, google } = auth;
  const flowCookie = (cookie: CookieJar, name: string, value: string) =>
    setFlowCookie(cookie[name]!, value, { path: OAUTH_COOKIE_PATH, maxAgeSeconds: OAUTH_COOKIE_MAX_AGE_S, secure: config.secureCookies });

  /** Always a new token: a cookie planted before sign-in is dropped, never promoted (no fixation). */
  const startSession = (cookie: CookieJar, request: Request, userId: string, kind: SessionKind) => {
    const sid = cookie[SESSION_COOKIE]!;
    const previous = cookieText(sid);
    if (previous) sessions.delete(previous);
    const { token, expiresAt } = sessions.create(userId, kind, request.headers.get("user-agent"));
    setSessionCookie(sid, token, expiresAt, config);
    const role = auth.sessionUser(userId)?.role ?? "user";
    bus.publish("account.signed_in", { method: kind === "user" ? "google" : kind, role }, userId);
  };

  const signOut = (cookie: CookieJar) => {
    const sid = cookie[SESSION_COOKIE]!;
    const token = cookieText(sid);
    if (token) sessions.delete(token);
    clearSessionCookie(sid, config);
  };

  /** Where a person lands once signed in: WEB_BASE_URL when the web client lives elsewhere. */
  const landing = (path: string) => (config.webBaseUrl === config.apiBaseUrl ? path : `${config.webBaseUrl}${path}`);

  return (
    new Elysia({ name: "auth" })
      .use(requestContext(log))
      .get("/signin", ({ query, request, redirect }) => {
        const next = safeRedirectPath(query.next, "/");
        // Someone signed in already has nothing to do here: on to where they were going.
        if (auth.hasLiveSession(request)) return redirect(next, 303);
        return SignInPage({
          googleEnabled: google !== null,
          adminTokenEnabled: config.adminToken !== "",
          next,
          failure: isSignInFailure(query.error) ? query.error : undefined,
          notice: isSignInNotice(query.notice) ? query.notice : undefined,
        });
      })
      .post(
        GOOGLE_LOGIN_PATH,
        ({ body, cookie, redirect }) => {
          if (!google) throw new AppError("not_found", "google_disabled", "Google sign-in is not configured on this instance.");
          const state = newToken();
          const codeVerifier = newToken();
          flowCookie(cookie, OAUTH_STATE, state);
          flowCookie(cookie, OAUTH_VERIFIER, codeVerifier);
          flowCookie(cookie, OAUTH_NEXT, safeRedirectPath(body.next, "/"));
          return redirect(google.authorizationUrl(state, codeVerifier).href, 302);
        },
        { body: LoginForm },
      )
      .get("/api/auth/callback", async ({ query, cookie, request, redirect, log }) => {
        const expectedState = cookieText(cookie[OAUTH_STATE]);
        const codeVerifier = cookieText(cookie[OAUTH_VERIFIER]);
        const next = safeRedirectPath(cookieText(cookie[OAUTH_NEXT]), "/");
        // One attempt per button press: whatever happens next, these are spent.
        for (const name of [OAUTH_STATE, OAUTH_VERIFIER, OAUTH_NEXT]) flowCookie(cookie, name, "");
        try {
          if (!google) throw new SignInError("unavailable", "Google sign-in is not configured");
          if (query.error) throw new SignInError("denied", `Google answered ${String(query.error).slice(0, 40)}`);
          if (!expectedState || !codeVerifier || query.state !== expectedState) {
            throw new SignInError("state", "state missing or different from the one this browser started with");
          }
          if (!query.code) throw new SignInError("exchange", "no code in the answer");
          const identity = await google.identify(query.code, codeVerifier);
          const userId = auth.signInWithIdentity(google.name, identity);
          startSession(cookie, request, userId, "user");
          log.info({ userId, provider: google.name }, "signed in");
          return redirect(landing(next), 303);
        } catch (error) {
          if (!(error instanceof SignInError)) throw error;
          log.warn({ reason: error.reason, detail: error.message }, "sign-in failed");
          return redirect(`/signin?error=${error.reason}`, 303);
        }
      })
      .get(
        "/api/auth/session",
        ({ cookie }) => {
          const sid = cookie[SESSION_COOKIE]!;
          const token = cookieText(sid);
          const session = sessions.validate(token);
          if (!session) {
            if (token) clearSessionCookie(sid, config);
            return {};
          }
          if (session.renewed) setSessionCookie(sid, token!, session.expiresAt, config);
          return { user: session.user };
        },
        { response: SessionResponse },
      )
      .post(LOGOUT_PATH, ({ cookie }) => {
        signOut(cookie);
        return { ok: true };
      })
      .post("/signout", ({ cookie, redirect }) => {
        signOut(cookie);
        return redirect(`/signin?notice=${"signed-out" satisfies SignInNotice}`, 303);
      })
      .post(
        ADMIN_TOKEN_PATH,
        ({ body, cookie, request, server }) => {
          const userId = auth.signInWithAdminToken(body.token, auth.clientAddress(peerAddress(server, request), request.headers));
          startSession(cookie, request, userId, "admin_token");
          return { user: auth.sessionUser(userId)! };
        },
        { body: AdminTokenBody, response: { 200: SignedInResponse } },
      )
      .get("/admin/login", ({ query }) => AdminLoginPage({ enabled: config.adminToken !== "", next: safeRedirectPath(query.next, ADMIN_LANDING) }))
      .post(
        "/admin/login",
        ({ body, cookie, request, server, redirect }) => {
          const next = safeRedirectPath(body.next, ADMIN_LANDING);
          showFormOnError(request, (error) => AdminLoginPage({ enabled: config.adminToken !== "", next, message: error.message }));
          const userId = auth.signInWithAdminToken(body.token, auth.clientAddress(peerAddress(server, request), request.headers));
          startSession(cookie, request, userId, "admin_token");
          return redirect(next, 303);
        },
        { body: AdminLoginForm },
      )
      // The link's token sits in the address bar: no Referer may carry it to another site.
      .get("/setup", ({ query, set }) => {
        set.headers["referrer-policy"] = "no-referrer";
        const token = typeof query.token === "string" && auth.isSetupTokenUsable(query.token) ? query.token : null;
        if (!token) set.status = 410;
        return SetupPage({ token, ownerExists: auth.hasOwner() });
      })
      .post(
        "/setup",
        ({ body, cookie, request, redirect, set, log }) => {
          const ownerId = auth.redeemSetupToken(body.token);
          if (!ownerId) {
            set.status = 410;
            return SetupPage({ token: null, ownerExists: auth.hasOwner() });
          }
          startSession(cookie, request, ownerId, "setup");
          log.info({ userId: ownerId }, "owner signed in with a setup link");
          // The owner is the instance's admin: like every admin sign-in, it lands on the console.
          return redirect(landing("/admin"), 303);
        },
        { body: SetupForm },
      )
  );
}
