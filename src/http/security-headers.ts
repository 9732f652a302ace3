import { Elysia } from "elysia";
import { TIMEZONE_DETECT_SCRIPT } from "../../views/account.tsx";
import type { Config } from "../config.ts";
import { sha256 } from "../crypto.ts";
import { AppError } from "../errors.ts";
import { HEALTH_PATH } from "./request-context.ts";

/** Inline scripts the pages carry, allowed by hash: no other inline script runs. */
const INLINE_SCRIPTS = [TIMEZONE_DETECT_SCRIPT];
const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

const hashOf = (script: string) => `'sha256-${sha256(script).toString("base64")}'`;
const hostname = (host: string) => (host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.split(":")[0]!).toLowerCase();

/**
 * The headers every response carries, computed once. Forms may post only here, and on to the
 * sign-in and connect pages of the providers they redirect to; nothing may frame a page (a framed
 * /account could be clicked into deleting itself). Answers are not cached unless a route says so
 * (static files do): pages and JSON carry personal data.
 */
export function securityHeaderValues(config: Config): Record<string, string> {
  const formTargets = [config.google.authUrl, config.todoist.authUrl].map((url) => new URL(url).origin);
  const csp = [
    "default-src 'self'",
    `script-src 'self' ${INLINE_SCRIPTS.map(hashOf).join(" ")}`,
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    `form-action 'self' ${[...new Set(formTargets)].join(" ")}`,
  ].join("; ");
  const headers: Record<string, string> = {
    "content-security-policy": csp,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
  };
  if (new URL(config.apiBaseUrl).protocol === "https:") headers["strict-transport-security"] = "max-age=31536000; includeSubDomains";
  return headers;
}

/**
 * On arrival: a request (but the health probe) must name this instance in its Host (API_BASE_URL's or WEB_BASE_URL's
 * host, or a loopback name), or it is refused before anything runs: a page on another name that
 * resolves here (DNS rebinding) is not same-origin with oO, whatever its Origin says. Then every
 * response gets the security headers; a route that sets one itself (a static file's
 * cache-control, /setup's referrer policy) keeps its own.
 */
export function securityHeaders(config: Config) {
  const allowed = new Set([config.apiBaseUrl, config.webBaseUrl].map((url) => new URL(url).hostname.toLowerCase()));
  const headers = securityHeaderValues(config);
  return new Elysia({ name: "http.security-headers" }).onRequest(({ request, set }) => {
    // The health probe changes nothing and tells nothing; a load balancer may name the instance by its IP.
    // Only that path: /api/admin/health ends the same way and is the console's.
    const path = request.url.slice(request.url.indexOf("/", request.url.indexOf("//") + 2));
    if (path === HEALTH_PATH || path.startsWith(`${HEALTH_PATH}?`)) return;
    const host = hostname(request.headers.get("host") ?? new URL(request.url).host);
    if (!allowed.has(host) && !LOOPBACK_HOSTS.has(host)) {
      throw new AppError("misdirected", "unknown_host", "This server does not answer for that host name.");
    }
    Object.assign(set.headers, headers);
  });
}
