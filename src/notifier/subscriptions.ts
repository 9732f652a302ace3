import { and, count, eq } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { pushSubscriptions } from "../db/schema.ts";
import { AppError } from "../errors.ts";
import type { Subscription } from "./model.ts";

export type StoredSubscription = typeof pushSubscriptions.$inferSelect;

/** Loopback hosts: a push service is never one, except for an instance itself served on loopback (a developer's). */
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;
/** IP literals of private, link-local and loopback ranges: never a push service. */
const PRIVATE_ADDRESS = /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|169\.254\.|127\.|0\.|\[f[cd]|\[fe80:|\[::)/i;

const decodedLength = (value: string) => Buffer.from(value, "base64url").length;

/**
 * The browsers' push subscriptions, one per device (endpoint), several per person: the only code
 * that touches `push_subscriptions`. A subscription is checked before it is kept: the endpoint
 * must be a push service the server may POST to (https, a public host), and the keys must be the
 * sizes RFC 8291 needs, so a bad one gets a 400 and stores nothing.
 */
export class PushSubscriptions {
  /** An instance served on loopback (a developer's, or a test's) may push to a loopback service. */
  private readonly loopbackAllowed: boolean;

  constructor(
    private readonly db: Db,
    apiBaseUrl: string,
  ) {
    this.loopbackAllowed = LOOPBACK.test(new URL(apiBaseUrl).hostname);
  }

  /** Keeps the subscription: the same endpoint again updates it (and moves it to this person: one device, one owner). */
  save(userId: string, subscription: Subscription, now = Date.now()): { devices: number } {
    this.check(subscription);
    const values = {
      userId,
      p256dhSecret: subscription.keys.p256dh,
      authSecret: subscription.keys.auth,
      expiresAt: subscription.expirationTime ?? null,
      updatedAt: now,
    };
    this.db
      .insert(pushSubscriptions)
      .values({ ...values, endpoint: subscription.endpoint, createdAt: now })
      .onConflictDoUpdate({ target: pushSubscriptions.endpoint, set: values })
      .run();
    return { devices: this.count(userId) };
  }

  /** Forgets this person's subscription at `endpoint`; false when there was none. */
  remove(userId: string, endpoint: string): boolean {
    const removed = this.db
      .delete(pushSubscriptions)
      .where(and(eq(pushSubscriptions.userId, userId), eq(pushSubscriptions.endpoint, endpoint)))
      .returning({ id: pushSubscriptions.id })
      .all();
    return removed.length > 0;
  }

  /** The push service said the subscription is gone (404, 410). */
  prune(id: number) {
    this.db.delete(pushSubscriptions).where(eq(pushSubscriptions.id, id)).run();
  }

  get(id: number): StoredSubscription | undefined {
    return this.db.select().from(pushSubscriptions).where(eq(pushSubscriptions.id, id)).get();
  }

  forUser(userId: string): StoredSubscription[] {
    return this.db.select().from(pushSubscriptions).where(eq(pushSubscriptions.userId, userId)).orderBy(pushSubscriptions.id).all();
  }

  count(userId: string): number {
    return this.db.select({ n: count() }).from(pushSubscriptions).where(eq(pushSubscriptions.userId, userId)).get()!.n;
  }

  private check({ endpoint, keys }: Subscription) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new AppError("invalid", "invalid_subscription", "endpoint must be a URL.");
    }
    const loopback = LOOPBACK.test(url.hostname);
    const allowed = loopback ? this.loopbackAllowed && (url.protocol === "http:" || url.protocol === "https:") : url.protocol === "https:" && !PRIVATE_ADDRESS.test(url.hostname);
    if (!allowed || url.username || url.password) throw new AppError("invalid", "invalid_subscription", "endpoint must be an https URL of a push service.");
    // RFC 8291: an uncompressed P-256 point (65 bytes) and a 16-byte authentication secret.
    if (decodedLength(keys.p256dh) !== 65 || Buffer.from(keys.p256dh, "base64url")[0] !== 4) {
      throw new AppError("invalid", "invalid_subscription", "keys.p256dh must be an uncompressed P-256 public key.");
    }
    if (decodedLength(keys.auth) !== 16) throw new AppError("invalid", "invalid_subscription", "keys.auth must be 16 bytes.");
  }
}
