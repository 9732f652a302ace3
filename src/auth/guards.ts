import type { SignInNotice } from "../../views/auth.tsx";
import { type Cookie, Elysia, status } from "elysia";
import type { Config } from "../config.ts";
import { cookieText } from "../http/cookies.ts";
import { AppError } from "../errors.ts";
import { isApiPath } from "../http/errors.ts";
import { safeRedirectPath, type SitePath } from "../http/redirect.ts";
import { SESSION_COOKIE, type SessionStore } from "./service.ts";

export function setSessionCookie(cookie: Cookie<unknown>, token: string, expiresAt: number, config: Config) {
  cookie.set({
    value: token,
    httpOnly: true,
    sameSite: "lax",
    path: "/",
    secure: config.secureCookies,
    expires: new Date(expiresAt),
  });
}

export function clearSessionCookie(cookie: Cookie<unknown>, config: Config) {
  cookie.set({ value: "", httpOnly: true, sameSite: "lax", path: "/", secure: config.secureCookies, expires: new Date(0), maxAge: 0 });
}

/**
 * Where to come back to after signing in: the page itself for a GET; for a form post (which has no
 * page of its own) the same-site page it was sent from, else home.
 */
function returnPath(request: Request): SitePath {
  const url = new URL(request.url);
  if (request.method === "GET") return safeRedirectPath(url.pathname + url.search, "/");
  const from = URL.parse(request.headers.get("referer") ?? "");
  return safeRedirectPath(from?.host === url.host ? from.pathname + from.search : undefined, "/");
}

interface GuardContext {
  cookie: Record<string, Cookie<unknown>>;
  path: string;
  request: Request;
  set: { headers: Record<string, unknown> };
}

/**
 * `requireAuth` resolves `user` and `session` from the `sid` cookie; `requireAdmin` runs the same
 * check and then requires the admin role. Under /api a missing session is an `unauthenticated`
 * error; pages redirect to the sign-in page for their area and come back afterwards. A signed-in
 * person who is not an admin gets a `forbidden` error (JSON or page, by the error plugin).
 */
export function authGuards(config: Config, store: SessionStore) {
  const authenticate = ({ cookie, path, request, set }: GuardContext) => {
    const sid = cookie[SESSION_COOKIE]!;
    const token = cookieText(sid);
    const session = store.validate(token);
    if (!session) {
      if (isApiPath(path)) throw new AppError("unauthenticated", "unauthenticated", "Sign in to continue.");
      const signInPage = path.startsWith("/admin") ? "/admin/login" : "/signin";
      const back = returnPath(request);
      // A form sent after the session ended did nothing: the sign-in page says so.
      const query = new URLSearchParams();
      if (back !== "/") query.set("next", back);
      if (request.method !== "GET" && request.method !== "HEAD" && signInPage === "/signin") query.set("notice", "expired" satisfies SignInNotice);
      const target = query.size > 0 ? `${signInPage}?${query}` : signInPage;
      // htmx would follow a redirect and swap the sign-in page into a fragment; send the whole page there.
      if (request.headers.get("hx-request") === "true") {
        set.headers["hx-redirect"] = target;
        return status(401, "Sign in to continue.");
      }
      set.headers.location = target;
      return status(303);
    }
    if (session.renewed) setSessionCookie(sid, token!, session.expiresAt, config);
    return { user: session.user, session };
  };

  return new Elysia({ name: "auth.guards" }).macro({
    requireAuth: { resolve: authenticate },
    requireAdmin: {
      resolve(context) {
        const result = authenticate(context);
        if (!("user" in result) || result.user.role === "admin") return result;
        throw new AppError("forbidden", "forbidden", isApiPath(context.path) ? "This needs an admin account." : "This page is for admins.");
      },
    },
  });
}
