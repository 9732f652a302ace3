import { clientAddressResolver, limiterKey } from "../http/client-address.ts";
import { type BackoffPolicy, FailureLimiter } from "../http/rate-limit.ts";
import type { Kernel } from "../runtime.ts";
import { HOUR_MS, MINUTE_MS, SECOND_MS } from "../time.ts";
import { findOwner, sessionUserOf } from "../user/queries.ts";
import { googleProvider } from "./google.ts";
import { authGuards } from "./guards.ts";
import type { VerifiedIdentity } from "./provider.ts";
import {
  isSetupTokenUsable,
  issueSetupLink,
  redeemSetupToken,
  SessionStore,
  sessionCookieOf,
  signInWithAdminToken,
  signInWithIdentity,
} from "./service.ts";

/**
 * Wrong ADMIN_TOKENs: five free per client, then a wait of 1 s doubling per further one up to
 * 15 min; from everyone together, at most 100 a minute are answered before 429.
 */
const ADMIN_TOKEN_BACKOFF: BackoffPolicy = {
  freeFailures: 5,
  firstDelayMs: SECOND_MS,
  maxDelayMs: 15 * MINUTE_MS,
  globalFailures: 100,
  globalWindowMs: MINUTE_MS,
};

/** Sign-in (Google, the admin token, the owner setup link), sessions and the guards every module's routes use. */
export function createAuthModule({ config, database, jobs }: Kernel) {
  const { db } = database;
  const sessions = new SessionStore(db);
  const adminTokenLimiter = new FailureLimiter(ADMIN_TOKEN_BACKOFF);
  jobs.add({ name: "sessions.purge-expired", intervalMs: HOUR_MS, startDelayMs: MINUTE_MS, run: () => sessions.purgeExpired() });
  return {
    sessions,
    /** `requireAuth` and `requireAdmin`, for every module's routes. */
    guards: authGuards(config, sessions),
    /** Null when GOOGLE_CLIENT_ID is empty: the button is hidden and the routes answer 404. */
    google: config.google.clientId ? googleProvider(config) : null,
    sessionUser: (userId: string) => sessionUserOf(db, userId),
    /** Whether a request carries a live session cookie; read-only, for checks made before the guards run. */
    hasLiveSession: (request: Request) => sessions.isLive(sessionCookieOf(request)),
    /** The person a provider vouched for, found or created; returns the user id. */
    signInWithIdentity: (provider: string, identity: VerifiedIdentity) => signInWithIdentity(db, provider, identity),
    /** Who is asking: the socket peer, or the client behind it when the peer is in TRUSTED_PROXIES. */
    clientAddress: clientAddressResolver(config.trustedProxies),
    /** The owner's id for a right ADMIN_TOKEN, always; wrong ones count against the client (`clientAddress`). */
    signInWithAdminToken: (token: string, clientAddress: string) =>
      signInWithAdminToken(db, config.adminToken, adminTokenLimiter, token, limiterKey(clientAddress)),
    hasOwner: () => findOwner(db) !== undefined,
    /** A fresh one-time owner sign-in link (replaces earlier ones). */
    issueSetupLink: () => issueSetupLink(db, config.apiBaseUrl),
    isSetupTokenUsable: (token: string) => isSetupTokenUsable(db, token),
    /** Spends a setup link; the owner's id, or null when the link is not usable. */
    redeemSetupToken: (token: string) => redeemSetupToken(db, token),
  };
}

export type AuthModule = ReturnType<typeof createAuthModule>;
