import { eq, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { sessions, users } from "../db/schema.ts";

export const SESSION_COOKIE = "sid";
const DAY_MS = 24 * 60 * 60 * 1000;
/** Lifetimes by kind; user sessions slide once half their life is used. */
export const SESSION_LIFETIME_MS = { user: 30 * DAY_MS, admin_token: DAY_MS, setup: 30 * DAY_MS } as const;
export type SessionKind = keyof typeof SESSION_LIFETIME_MS;
export type Role = "user" | "admin";

/** What handlers behind `requireAuth` see of the signed-in person. */
export interface SessionUser {
  id: string;
  email: string | null;
  name: string | null;
  role: Role;
  timezone: string;
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
  private readonly findByHash;

  constructor(private readonly db: Db) {
    this.findByHash = db
      .select({
        tokenHash: sessions.tokenHash,
        kind: sessions.kind,
        expiresAt: sessions.expiresAt,
        id: users.id,
        email: users.email,
        name: users.name,
        role: users.role,
        timezone: users.timezone,
      })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(eq(sessions.tokenHash, sql.placeholder("hash")))
      .prepare();
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
    const row = this.findByHash.get({ hash: tokenHash });
    if (!row) return null;
    if (row.expiresAt <= now) {
      this.db.delete(sessions).where(eq(sessions.tokenHash, tokenHash)).run();
      return null;
    }
    const lifetime = SESSION_LIFETIME_MS[row.kind];
    // Sliding expiry for people, not for admin-token sessions (those are 24 h, full stop).
    const renewed = row.kind !== "admin_token" && row.expiresAt - now < lifetime / 2;
    const expiresAt = renewed ? now + lifetime : row.expiresAt;
    if (renewed) {
      this.db.update(sessions).set({ expiresAt, lastSeenAt: now }).where(eq(sessions.tokenHash, tokenHash)).run();
    }
    const { id, email, name, role, timezone } = row;
    return { user: { id, email, name, role, timezone }, tokenHash, kind: row.kind, expiresAt, renewed };
  }

  delete(token: string): void {
    this.db.delete(sessions).where(eq(sessions.tokenHash, hashToken(token))).run();
  }

  deleteByHash(tokenHash: string): boolean {
    return this.db.delete(sessions).where(eq(sessions.tokenHash, tokenHash)).returning({ tokenHash: sessions.tokenHash }).all().length > 0;
  }

  deleteForUser(userId: string): number {
    return this.db.delete(sessions).where(eq(sessions.userId, userId)).returning({ tokenHash: sessions.tokenHash }).all().length;
  }
}
