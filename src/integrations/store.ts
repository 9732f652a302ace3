import { and, count, desc, eq, isNotNull, isNull, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { integrations, tasks } from "../db/schema.ts";
import type { EventBus } from "../events/bus.ts";
import type { Outbox } from "../jobs/outbox.ts";
import type { IntegrationSummary } from "./model.ts";
import { type TokenVault, tokenContext } from "./vault.ts";

export type IntegrationRow = typeof integrations.$inferSelect;

/** A provider grant in the clear: only ever in memory, never logged, never stored like this. */
export interface ProviderTokens {
  accessToken: string;
  refreshToken: string | null;
  /** Milliseconds since the epoch; null for a token that does not expire. */
  expiresAt: number | null;
}

/** The message stored and shown for an error, capped; callers pass messages that name no token. */
const storedReason = (reason: string) => reason.slice(0, 300);

/**
 * The `integrations` rows: one per user and provider, tokens sealed by the vault and bound to
 * `provider:userId`, so a ciphertext copied to another row does not open there.
 */
export class IntegrationStore {
  /** Prepared once: every sync step and every recommendation (the staleness check) reads a row. */
  private readonly byUser;

  constructor(
    private readonly db: Db,
    private readonly vault: TokenVault,
    private readonly bus: EventBus,
    /** Writes to a provider (`<provider>.*` items) go when its grant does. */
    private readonly outbox: Pick<Outbox, "cancel" | "countPending">,
  ) {
    this.byUser = db
      .select()
      .from(integrations)
      .where(and(eq(integrations.userId, sql.placeholder("userId")), eq(integrations.provider, sql.placeholder("provider"))))
      .prepare();
  }

  get(userId: string, provider: string): IntegrationRow | undefined {
    return this.byUser.get({ userId, provider });
  }

  /** Webhooks name the provider's account only; two oO accounts may have connected the same one. */
  byExternalUser(provider: string, externalUserId: string): IntegrationRow[] {
    return this.db
      .select()
      .from(integrations)
      .where(and(eq(integrations.provider, provider), eq(integrations.externalUserId, externalUserId)))
      .all();
  }

  /** Users whose grant is believed to work. */
  connectedUsers(provider: string): string[] {
    return this.db
      .select({ userId: integrations.userId })
      .from(integrations)
      .where(and(eq(integrations.provider, provider), eq(integrations.status, "connected")))
      .all()
      .map((row) => row.userId);
  }

  list(userId: string): IntegrationSummary[] {
    return this.db
      .select()
      .from(integrations)
      .where(eq(integrations.userId, userId))
      .all()
      .map((row) => ({
        provider: row.provider,
        status: row.status,
        connectedAt: row.createdAt,
        lastSyncAt: row.lastSyncAt,
        lastSyncError: row.lastSyncError,
        taskCount: row.taskCount,
      }));
  }

  /**
   * The connections' state for the console's data quality: how many need the person to reconnect,
   * the ones whose last sync failed (newest first), and the open tasks stored without the date they
   * were added (their age is unknown to the recommender): the connections' own task counts, and a
   * partial index of the undated tasks, so no task is read but those.
   */
  quality(limit = 20) {
    const counts = this.db
      .select({
        total: count(),
        needsReconnect: sql<number>`coalesce(sum(${integrations.status} = 'needs_reconnect'), 0)`,
        tasks: sql<number>`coalesce(sum(${integrations.taskCount}), 0)`,
      })
      .from(integrations)
      .get()!;
    const failing = this.db
      .select({ userId: integrations.userId, provider: integrations.provider, error: integrations.lastSyncError, lastSyncAt: integrations.lastSyncAt })
      .from(integrations)
      .where(isNotNull(integrations.lastSyncError))
      .orderBy(desc(integrations.updatedAt))
      .limit(limit)
      .all();
    const withoutAddedAt = this.db.select({ n: count() }).from(tasks).where(isNull(tasks.addedAt)).get()!.n;
    return { integrations: counts.total, needsReconnect: counts.needsReconnect, failing, tasks: counts.tasks, tasksWithoutAddedAt: withoutAddedAt };
  }

  /** Opens the row's tokens (throws a VaultError, which names no token, when a key is missing). */
  tokens(row: IntegrationRow): ProviderTokens {
    const context = tokenContext(row.provider, row.userId);
    return {
      accessToken: this.vault.decrypt(row.accessTokenCiphertext, context),
      refreshToken: row.refreshTokenCiphertext ? this.vault.decrypt(row.refreshTokenCiphertext, context) : null,
      expiresAt: row.accessTokenExpiresAt,
    };
  }

  /** A new or renewed grant: the row is (re)written as connected and the change is announced. */
  connect(
    input: { userId: string; provider: string; tokens: ProviderTokens; externalUserId: string; scope: string },
    now = Date.now(),
  ): IntegrationRow {
    const { userId, provider, tokens: grant } = input;
    const sealed = this.seal(userId, provider, grant);
    const values = { ...sealed, status: "connected" as const, externalUserId: input.externalUserId, scope: input.scope, lastSyncError: null, updatedAt: now };
    const row = this.db
      .insert(integrations)
      .values({ userId, provider, ...values, createdAt: now })
      .onConflictDoUpdate({ target: [integrations.userId, integrations.provider], set: values })
      .returning()
      .get();
    this.bus.publish("signals.integration.changed", { provider, status: "connected" }, userId);
    return row;
  }

  /** Stores refreshed tokens on the same row; false when the row is gone or was replaced meanwhile. */
  replaceTokens(row: IntegrationRow, grant: ProviderTokens, now = Date.now()): boolean {
    const sealed = this.seal(row.userId, row.provider, grant);
    return (
      this.db
        .update(integrations)
        .set({ ...sealed, updatedAt: now })
        .where(eq(integrations.id, row.id))
        .returning({ id: integrations.id })
        .all().length > 0
    );
  }

  /** The provider refused the grant: the user must reconnect. Announced once, when the status changes. */
  markNeedsReconnect(userId: string, provider: string, reason: string, now = Date.now()): boolean {
    const changed = this.db
      .update(integrations)
      .set({ status: "needs_reconnect", lastSyncError: storedReason(reason), updatedAt: now })
      .where(and(eq(integrations.userId, userId), eq(integrations.provider, provider), eq(integrations.status, "connected")))
      .returning({ id: integrations.id })
      .all();
    if (changed.length === 0) return false;
    this.bus.publish("signals.integration.changed", { provider, status: "needs_reconnect" }, userId);
    return true;
  }

  recordSyncError(userId: string, provider: string, reason: string, now = Date.now()) {
    this.db
      .update(integrations)
      .set({ lastSyncError: storedReason(reason), updatedAt: now })
      .where(and(eq(integrations.userId, userId), eq(integrations.provider, provider)))
      .run();
  }

  /** Deletes the grant with everything synced from it and every write still waiting for it; returns the tasks removed. */
  remove(userId: string, provider: string): { removed: boolean; tasks: number } {
    return this.db.transaction((tx) => {
      const removed = tx
        .delete(integrations)
        .where(and(eq(integrations.userId, userId), eq(integrations.provider, provider)))
        .returning({ id: integrations.id })
        .all();
      const deletedTasks = tx
        .delete(tasks)
        .where(and(eq(tasks.userId, userId), eq(tasks.provider, provider)))
        .returning({ id: tasks.externalId })
        .all();
      this.outbox.cancel(userId, `${provider}.`);
      return { removed: removed.length > 0, tasks: deletedTasks.length };
    });
  }

  /** Writes for a provider not yet delivered, by user (for tests). */
  pendingWrites(userId: string, provider: string): number {
    return this.outbox.countPending(userId, `${provider}.`);
  }

  private seal(userId: string, provider: string, grant: ProviderTokens) {
    const context = tokenContext(provider, userId);
    return {
      accessTokenCiphertext: this.vault.encrypt(grant.accessToken, context),
      refreshTokenCiphertext: grant.refreshToken ? this.vault.encrypt(grant.refreshToken, context) : null,
      accessTokenExpiresAt: grant.expiresAt,
    };
  }
}
