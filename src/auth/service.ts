import { and, desc, eq, gt, isNull, lte } from "drizzle-orm";
import { sha256, timingSafeEqual } from "../crypto.ts";
import type { Db } from "../db/client.ts";
import { identities, sessions, setupTokens } from "../db/schema.ts";
import { AppError } from "../errors.ts";
import type { FailureLimiter } from "../http/rate-limit.ts";
import { recordImplicitConsent } from "../legal/service.ts";
import { DAY_MS, HOUR_MS } from "../time.ts";
import { createUser, emailsOf, findOwner, preparedSessionUserLookup, refreshIdentityDetails } from "../user/queries.ts";
import type { SessionKind, SessionUser } from "./model.ts";
import type { VerifiedIdentity } from "./provider.ts";

export const SESSION_COOKIE = "sid";

/** The session token in a request's Cookie header, for checks made before Elysia parses cookies. */
export function sessionCookieOf(request: Request): string | undefined {
  const header = request.headers.get("cookie");
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const equals = part.indexOf("=");
    if (equals !== -1 && part.slice(0, equals).trim() === SESSION_COOKIE) return part.slice(equals + 1).trim() || undefined;
  }
  return undefined;
}
/** Lifetimes by kind; user sessions slide once half their life is used. */
export const SESSION_LIFETIME_MS: Record<SessionKind, number> = { user: 30 * DAY_MS, admin_token: DAY_MS, setup: 30 * DAY_MS };
/** `last_seen_at` is refreshed at most this often, so a signed-in request rarely writes. */
const LAST_SEEN_RESOLUTION_MS = HOUR_MS;

interface SessionRow {
  userId: string;
  kind: SessionKind;
  expiresAt: number;
  lastSeenAt: number;
}

export interface ValidSession {
  user: SessionUser;
  tokenHash: string;
  kind: SessionKind;
  expiresAt: number;
  /** True when this check extended the session, so the cookie must be re-sent with the new expiry. */
  renewed: boolean;
}

export const newToken = () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
export const hashToken = (token: string) => new Bun.CryptoHasher("sha256").update(token).digest("hex");

/**
 * Opaque random session tokens: the cookie carries the token, the database only its SHA-256,
 * so a copy of the database cannot be replayed as a session.
 */
export class SessionStore {
  /**
   * Run on every signed-in request, so they are prepared once: two lookups by primary key cost less
   * than the same lookups as one join, and one read transaction for both takes the WAL's read lock
   * once instead of twice (two system calls each).
   */
  private readonly find;

  constructor(private readonly db: Db) {
    const findSession = db.$client.query<SessionRow, [string]>(
      "SELECT user_id AS userId, kind, expires_at AS expiresAt, last_seen_at AS lastSeenAt FROM sessions WHERE token_hash = ?",
    );
    const findUser = preparedSessionUserLookup(db);
    this.find = db.$client.transaction((tokenHash: string) => {
      const row = findSession.get(tokenHash);
      return row ? { row, user: findUser(row.userId) } : null;
    });
  }

  /** A fresh token for every sign-in, so a token planted before sign-in is never promoted (no fixation). */
  create(userId: string, kind: SessionKind, userAgent: string | null = null, now = Date.now()) {
    const token = newToken();
    const expiresAt = now + SESSION_LIFETIME_MS[kind];
    this.db
      .insert(sessions)
      .values({ tokenHash: hashToken(token), userId, kind, createdAt: now, expiresAt, lastSeenAt: now, userAgent: userAgent?.slice(0, 200) ?? null })
      .run();
    return { token, expiresAt };
  }

  validate(token: string | undefined, now = Date.now()): ValidSession | null {
    if (!token || token.length > 100) return null;
    const tokenHash = hashToken(token);
    const found = this.find(tokenHash);
    if (!found) return null;
    const { row, user } = found;
    if (row.expiresAt <= now) {
      this.db.delete(sessions).where(eq(sessions.tokenHash, tokenHash)).run();
      return null;
    }
    // Deleting a person deletes their sessions in the same transaction, so this is only a guard.
    if (!user) return null;
    const lifetime = SESSION_LIFETIME_MS[row.kind];
    // Sliding expiry for people, not for admin-token sessions (those are 24 h, full stop).
    const renewed = row.kind !== "admin_token" && row.expiresAt - now < lifetime / 2;
    const expiresAt = renewed ? now + lifetime : row.expiresAt;
    if (renewed || now - row.lastSeenAt > LAST_SEEN_RESOLUTION_MS) {
      this.db.update(sessions).set({ expiresAt, lastSeenAt: now }).where(eq(sessions.tokenHash, tokenHash)).run();
    }
    return { user, tokenHash, kind: row.kind, expiresAt, renewed };
  }

  /** Whether the token names a live session, without touching it (the guard's `validate` renews and records use). */
  isLive(token: string | undefined, now = Date.now()): boolean {
    if (!token || token.length > 100) return false;
    const found = this.find(hashToken(token));
    return found !== null && found.user !== undefined && found.row.expiresAt > now;
  }

  delete(token: string): void {
    this.db.delete(sessions).where(eq(sessions.tokenHash, hashToken(token))).run();
  }

  deleteByHash(tokenHash: string): boolean {
    return this.db.delete(sessions).where(eq(sessions.tokenHash, tokenHash)).returning({ tokenHash: sessions.tokenHash }).all().length > 0;
  }

  /** Live sessions, most recently seen first, with the person's email; never the token, only its hash (which revokes it). */
  list(now = Date.now()) {
    const live = this.db
      .select({
        tokenHash: sessions.tokenHash,
        userId: sessions.userId,
        kind: sessions.kind,
        createdAt: sessions.createdAt,
        lastSeenAt: sessions.lastSeenAt,
        expiresAt: sessions.expiresAt,
        userAgent: sessions.userAgent,
      })
      .from(sessions)
      .where(gt(sessions.expiresAt, now))
      .orderBy(desc(sessions.lastSeenAt))
      .all();
    const emails = emailsOf(this.db, [...new Set(live.map((session) => session.userId))]);
    return live.map(({ tokenHash, userId, ...rest }) => ({ tokenHash, userId, email: emails.get(userId) ?? null, ...rest }));
  }

  /** A person's live sessions, most recently seen first (the console; no token, no hash). */
  ofUser(userId: string, now = Date.now()) {
    return this.db
      .select({ kind: sessions.kind, createdAt: sessions.createdAt, lastSeenAt: sessions.lastSeenAt, expiresAt: sessions.expiresAt, userAgent: sessions.userAgent })
      .from(sessions)
      .where(and(eq(sessions.userId, userId), gt(sessions.expiresAt, now)))
      .orderBy(desc(sessions.lastSeenAt))
      .all();
  }

  /** Signs the person out everywhere; how many sessions ended. */
  endAll(userId: string): number {
    return this.db.delete(sessions).where(eq(sessions.userId, userId)).returning({ tokenHash: sessions.tokenHash }).all().length;
  }

  /** Expired sessions are refused on sight; this removes the ones never presented again. */
  purgeExpired(now = Date.now()): number {
    return this.db.delete(sessions).where(lte(sessions.expiresAt, now)).returning({ tokenHash: sessions.tokenHash }).all().length;
  }
}

// ─── Accounts ───────────────────────────────────────────────────────────────

/** The owner account, created on first need (owner setup link or admin token). */
export function ensureOwner(db: Db, now = Date.now()): string {
  return findOwner(db) ?? createUser(db, { name: "Owner", role: "admin" }, now);
}

/**
 * Finds the person by the provider's subject (never by email, which can change hands) or creates
 * them as a plain user; records their consent to the documents in force. Returns the user id.
 */
export function signInWithIdentity(db: Db, provider: string, identity: VerifiedIdentity, now = Date.now()): string {
  return db.transaction(() => {
    const byIdentity = and(eq(identities.provider, provider), eq(identities.subject, identity.subject));
    let userId = db.select({ userId: identities.userId }).from(identities).where(byIdentity).get()?.userId;
    if (userId) {
      db.update(identities).set({ email: identity.email, lastSignInAt: now }).where(byIdentity).run();
      refreshIdentityDetails(db, userId, identity, now);
    } else {
      userId = createUser(db, { email: identity.email, name: identity.name }, now);
      db.insert(identities)
        .values({ provider, subject: identity.subject, userId, email: identity.email, createdAt: now, lastSignInAt: now })
        .run();
    }
    recordImplicitConsent(db, userId, now);
    return userId;
  });
}

// ─── Owner setup link and admin token ───────────────────────────────────────

export const SETUP_LINK_LIFETIME_MS = HOUR_MS;

/** A fresh one-time link to `/setup`; it replaces any earlier link, so only the newest one works. */
export function issueSetupLink(db: Db, apiBaseUrl: string, now = Date.now()): string {
  const token = newToken();
  db.transaction(() => {
    db.delete(setupTokens).run();
    db.insert(setupTokens).values({ tokenHash: hashToken(token), createdAt: now, expiresAt: now + SETUP_LINK_LIFETIME_MS }).run();
  });
  return `${apiBaseUrl}/setup?token=${token}`;
}

const usableSetupToken = (token: string, now: number) =>
  and(eq(setupTokens.tokenHash, hashToken(token)), isNull(setupTokens.usedAt), gt(setupTokens.expiresAt, now));

export function isSetupTokenUsable(db: Db, token: string, now = Date.now()): boolean {
  return db.select({ tokenHash: setupTokens.tokenHash }).from(setupTokens).where(usableSetupToken(token, now)).get() !== undefined;
}

/** Spends the link (once, atomically) and returns the owner's id, creating the owner if needed; null when the link is not usable. */
export function redeemSetupToken(db: Db, token: string, now = Date.now()): string | null {
  return db.transaction(() => {
    const spent = db.update(setupTokens).set({ usedAt: now }).where(usableSetupToken(token, now)).returning({ tokenHash: setupTokens.tokenHash }).get();
    if (!spent) return null;
    const ownerId = ensureOwner(db, now);
    recordImplicitConsent(db, ownerId, now);
    return ownerId;
  });
}

/** Constant time whatever the lengths: both sides are hashed to 32 bytes before comparing. */
export function adminTokenMatches(given: string, expected: string): boolean {
  return expected !== "" && timingSafeEqual(sha256(given), sha256(expected));
}

/**
 * Sign-in with ADMIN_TOKEN (automation, browser tests): opens the owner's account. The right token
 * always signs in and clears the client's failures, so nobody can lock the owner out; a wrong one
 * counts against the client's back-off and the global ceiling, and is answered 429 while either
 * says wait. Guessing is hopeless anyway: the token has at least 24 characters.
 */
export function signInWithAdminToken(db: Db, adminToken: string, limiter: FailureLimiter, given: string, clientKey: string): string {
  if (!adminToken) throw new AppError("forbidden", "admin_token_disabled", "Token sign-in is off on this instance: ADMIN_TOKEN is not set.");
  if (adminTokenMatches(given, adminToken)) {
    limiter.succeeded(clientKey);
    return ensureOwner(db);
  }
  const decision = limiter.failed(clientKey);
  if (!decision.allowed) {
    const { retryAfterSeconds } = decision;
    throw new AppError("rate_limited", "rate_limited", `Too many wrong tokens. Try again in ${retryAfterSeconds} s.`, retryAfterSeconds);
  }
  throw new AppError("unauthenticated", "invalid_admin_token", "That is not the admin token.");
}
