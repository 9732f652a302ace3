import { Elysia } from "elysia";
import { AppError } from "../errors.ts";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export interface CsrfOptions {
  /** Origins allowed to send state-changing requests (this app's own, and WEB_BASE_URL). */
  trustedOrigins: string[];
  /** Paths that authenticate themselves another way (signed webhooks). */
  exemptPaths: string[];
}

/**
 * Refuses cross-origin state changes before any handler runs. Browsers send `Sec-Fetch-Site`
 * (and `Origin` on every POST); a request with neither did not come from a current browser, so
 * there is no ambient cookie to abuse and it passes, unless its `Referer` names another site (an
 * old browser, or a proxy that strips `Origin`).
 */
export function isCrossOrigin(request: Request, trusted: Set<string>): boolean {
  const origin = request.headers.get("origin");
  if (origin && trusted.has(origin)) return false;
  const site = request.headers.get("sec-fetch-site");
  if (site) return site !== "same-origin" && site !== "none";
  const from = origin ?? request.headers.get("referer");
  if (!from) return false;
  const host = request.headers.get("host");
  try {
    const url = new URL(from);
    return !trusted.has(url.origin) && url.host !== host;
  } catch {
    return true;
  }
}

export function csrf({ trustedOrigins, exemptPaths }: CsrfOptions) {
  const trusted = new Set(trustedOrigins.map((url) => new URL(url).origin));
  const exempt = new Set(exemptPaths);
  // On arrival, before the body is read: a cross-origin request never gets to send one.
  return new Elysia({ name: "http.csrf" }).onRequest(({ request }) => {
    if (SAFE_METHODS.has(request.method) || !isCrossOrigin(request, trusted)) return;
    if (exempt.has(new URL(request.url).pathname)) return;
    throw new AppError("forbidden", "cross_origin", "This request came from another site and was refused.");
  });
}
