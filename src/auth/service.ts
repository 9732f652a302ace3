import { timingSafeEqual } from "node:crypto";
import { and, asc, desc, eq, gt, isNull, lte, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { identities, sessions, setupTokens, users } from "../db/schema.ts";
import { recordImplicitConsent } from "../legal/service.ts";
import type { VerifiedIdentity } from "./provider.ts";

export const SESSION_COOKIE = "sid";
const DAY_MS = 24 * 60 * 60 * 1000;
/** Lifetimes by kind; user sessions slide once half their life is used. */
export const SESSION_LIFETIME_MS = { user: 30 * DAY_MS, admin_token: DAY_MS, setup: 30 * DAY_MS } as const;
export type SessionKind = keyof typeof SESSION_LIFETIME_MS;
export type Role = "user" | "admin";
/** `last_seen_at` is refreshed at most this often, so a signed-in request rarely writes. */
const LAST_SEEN_RESOLUTION_MS = 60 * 60 * 1000;

/** What handlers behind `requireAuth` see of the signed-in person. */
export interface SessionUser {
  id: string;
  email: string | null;
  name: string | null;
  role: Role;
  timezone: string;
  /** False until the browser reported its zone or the person chose one. */
  timezoneConfirmed: boolean;
}

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

/** What the admin console lists: never the token, only its hash (which revokes it). */
export interface SessionSummary {
  tokenHash: string;
  userId: string;
  email: string | null;
  kind: SessionKind;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  userAgent: string | null;
}

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
    const findUser = db.select(sessionUserColumns).from(users).where(eq(users.id, sql.placeholder("userId"))).prepare();
    this.find = db.$client.transaction((tokenHash: string) => {
      const row = findSession.get(tokenHash);
      return row ? { row, user: findUser.get({ userId: row.userId }) } : null;
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

  delete(token: string): void {
    this.db.delete(sessions).where(eq(sessions.tokenHash, hashToken(token))).run();
  }

  deleteByHash(tokenHash: string): boolean {
    return this.db.delete(sessions).where(eq(sessions.tokenHash, tokenHash)).returning({ tokenHash: sessions.tokenHash }).all().length > 0;
  }

  /** Live sessions, most recently seen first; revoke one with `deleteByHash`. */
  list(now = Date.now()): SessionSummary[] {
    return this.db
      .select({
        tokenHash: sessions.tokenHash,
        userId: sessions.userId,
        email: users.email,
        kind: sessions.kind,
        createdAt: sessions.createdAt,
        lastSeenAt: sessions.lastSeenAt,
        expiresAt: sessions.expiresAt,
        userAgent: sessions.userAgent,
      })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(gt(sessions.expiresAt, now))
      .orderBy(desc(sessions.lastSeenAt))
      .all();
  }

  /** Expired sessions are refused on sight; this removes the ones never presented again. */
  purgeExpired(now = Date.now()): number {
    return this.db.delete(sessions).where(lte(sessions.expiresAt, now)).returning({ tokenHash: sessions.tokenHash }).all().length;
  }
}

/**
 * `next` as a path on this site, or the fallback. Resolving against a placeholder origin catches
 * every way out (`//host`, `/\host`, tabs and newlines the URL parser drops).
 */
export function safeNextPath(next: unknown, fallback: string): string {
  if (typeof next !== "string" || !next.startsWith("/")) return fallback;
  const placeholder = "http://oo.invalid";
  try {
    const url = new URL(next, placeholder);
    return url.origin === placeholder ? url.pathname + url.search + url.hash : fallback;
  } catch {
    return fallback;
  }
}

// ─── Accounts ───────────────────────────────────────────────────────────────
// drizzle's bun-sqlite transactions run on the one synchronous connection, so the helpers called
// inside `db.transaction(() => …)` share it through `db`.

/** The `users` columns behind a `SessionUser`. */
export const sessionUserColumns = {
  id: users.id,
  email: users.email,
  name: users.name,
  role: users.role,
  timezone: users.timezone,
  timezoneConfirmed: users.timezoneConfirmed,
};

export function sessionUserOf(db: Db, userId: string): SessionUser | undefined {
  return db
    .select(sessionUserColumns)
    .from(users)
    .where(eq(users.id, userId))
    .get();
}

/** The owner is the oldest admin account. */
export function findOwner(db: Db): string | undefined {
  return db.select({ id: users.id }).from(users).where(eq(users.role, "admin")).orderBy(asc(users.createdAt)).limit(1).get()?.id;
}

/** The owner account, created on first need (owner setup link or admin token). */
export function ensureOwner(db: Db, now = Date.now()): string {
  const existing = findOwner(db);
  if (existing) return existing;
  const id = crypto.randomUUID();
  db.insert(users).values({ id, name: "Owner", role: "admin", createdAt: now, updatedAt: now }).run();
  return id;
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
      const name = identity.name ? { name: identity.name } : {};
      db.update(users).set({ email: identity.email, ...name, updatedAt: now }).where(eq(users.id, userId)).run();
    } else {
      userId = crypto.randomUUID();
      db.insert(users).values({ id: userId, email: identity.email, name: identity.name, createdAt: now, updatedAt: now }).run();
      db.insert(identities)
        .values({ provider, subject: identity.subject, userId, email: identity.email, createdAt: now, lastSignInAt: now })
        .run();
    }
    recordImplicitConsent(db, userId, now);
    return userId;
  });
}

// ─── Owner setup link and admin token ───────────────────────────────────────

export const SETUP_LINK_LIFETIME_MS = 60 * 60 * 1000;

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

const sha256 = (value: string) => new Bun.CryptoHasher("sha256").update(value).digest();

/** Constant time whatever the lengths: both sides are hashed to 32 bytes before comparing. */
export function adminTokenMatches(given: string, expected: string): boolean {
  return expected !== "" && timingSafeEqual(sha256(given), sha256(expected));
}
