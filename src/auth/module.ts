import { RateLimiter } from "../http/rate-limit.ts";
import type { Kernel } from "../runtime.ts";
import { HOUR_MS, MINUTE_MS } from "../time.ts";
import { findOwner } from "../user/queries.ts";
import { googleProvider } from "./google.ts";
import { authGuards } from "./guards.ts";
import { issueSetupLink, SessionStore } from "./service.ts";

/** Guesses at ADMIN_TOKEN allowed per client IP and minute. */
const ADMIN_TOKEN_TRIES_PER_MINUTE = 10;

/** Sign-in (Google, the admin token, the owner setup link), sessions and the guards every module's routes use. */
export function createAuthModule({ config, database, jobs }: Kernel) {
  const { db } = database;
  const sessions = new SessionStore(db);
  jobs.add({ name: "sessions.purge-expired", intervalMs: HOUR_MS, startDelayMs: MINUTE_MS, run: () => sessions.purgeExpired() });
  return {
    sessions,
    /** `requireAuth` and `requireAdmin`, for every module's routes. */
    guards: authGuards(config, sessions),
    /** Null when GOOGLE_CLIENT_ID is empty: the button is hidden and the routes answer 404. */
    google: config.google.clientId ? googleProvider(config) : null,
    /** Guesses at ADMIN_TOKEN, per client IP. */
    adminTokenLimiter: new RateLimiter(ADMIN_TOKEN_TRIES_PER_MINUTE, MINUTE_MS),
    hasOwner: () => findOwner(db) !== undefined,
    /** A fresh one-time owner sign-in link (replaces earlier ones). */
    issueSetupLink: () => issueSetupLink(db, config.apiBaseUrl),
  };
}

export type AuthModule = ReturnType<typeof createAuthModule>;
