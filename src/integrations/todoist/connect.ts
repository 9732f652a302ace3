import { hmacSha256, randomBytes, sha256, timingSafeEqual } from "../../crypto.ts";
import type { EventBus } from "../../events/bus.ts";
import { continueTrace } from "../../trace.ts";
import type { Background } from "../../jobs/background.ts";
import type { Logger } from "../../log.ts";
import type { IntegrationRow, IntegrationStore } from "../store.ts";
import { TODOIST } from "./access.ts";
import { type CallOptions, type TodoistClient, TodoistError } from "./client.ts";
import type { TodoistSync } from "./sync.ts";
import { reasonOf } from "../../errors.ts";

export const TODOIST_SCOPE = "data:read_write";
/** The browser has this long between the connect button and Todoist's answer. */
export const STATE_LIFETIME_S = 10 * 60;

/** The one-word outcomes the connect page explains. */
export type ConnectOutcome = "connected" | "denied" | "state" | "failed" | "unavailable";

/**
 * OAuth `state` bound to the signed-in session: the cookie holds a random state and an HMAC of
 * it with the session (keyed by SESSION_SECRET), so a state minted for one session, or a cookie
 * planted by someone else, does not complete a connect in another.
 */
export class StateBinding {
  constructor(private readonly secret: string) {}

  /** A fresh state and the cookie value that vouches for it. */
  issue(sessionTokenHash: string): { state: string; cookie: string } {
    const state = randomBytes(32).toString("base64url");
    return { state, cookie: `${state}.${this.mac(state, sessionTokenHash)}` };
  }

  /** Whether Todoist's `state` is the one this browser and this session started with (constant time). */
  verify(cookie: string | undefined, state: string | undefined, sessionTokenHash: string): boolean {
    if (!cookie || !state) return false;
    const dot = cookie.indexOf(".");
    if (dot <= 0) return false;
    const issued = cookie.slice(0, dot);
    const given = Buffer.from(cookie.slice(dot + 1));
    const expected = Buffer.from(this.mac(issued, sessionTokenHash));
    const macMatches = given.length === expected.length && timingSafeEqual(given, expected);
    const stateMatches = timingSafeEqual(sha256(issued), sha256(state));
    return macMatches && stateMatches;
  }

  private mac(state: string, sessionTokenHash: string): string {
    return hmacSha256(this.secret, `todoist-connect\0${state}\0${sessionTokenHash}`).toString("base64url");
  }
}

export interface TodoistConnectionsDeps {
  store: IntegrationStore;
  client: TodoistClient;
  /** One attempt, short timeout: revocation must not hold up a disconnect or an account deletion. */
  revokeClient: TodoistClient;
  sync: TodoistSync;
  bus: EventBus;
  log: Logger;
  background: Background;
  configured: boolean;
}

/** Connecting (the OAuth callback's work), disconnecting and revoking a user's Todoist grant. */
export class TodoistConnections {
  constructor(private readonly deps: TodoistConnectionsDeps) {}

  /**
   * Exchanges the code, learns the Todoist user id (webhooks name users by it), stores the grant
   * and starts the first sync in the background. Nothing is stored unless every step succeeds.
   */
  async complete(userId: string, code: string | undefined, options: CallOptions & { traceId?: string } = {}): Promise<ConnectOutcome> {
    const { store, client, sync, log, background } = this.deps;
    if (!this.deps.configured) return "unavailable";
    if (!code) return "failed";
    const fields = { traceId: options.traceId, userId, provider: TODOIST };
    let tokens;
    try {
      tokens = await client.exchangeCode(code, options);
    } catch (error) {
      if (!(error instanceof TodoistError)) throw error;
      log.warn({ ...fields, reason: error.message }, "todoist connect failed at the code exchange");
      return "failed";
    }
    let account;
    try {
      account = await client.getUser(tokens.accessToken, options);
    } catch (error) {
      if (!(error instanceof TodoistError)) throw error;
      log.warn({ ...fields, reason: error.message }, "todoist connect failed reading the account");
      await this.deps.revokeClient.revokeToken(tokens.accessToken, options).catch(() => undefined);
      return "failed";
    }
    const previous = store.get(userId, TODOIST);
    store.connect({ userId, provider: TODOIST, tokens, externalUserId: account.id, scope: TODOIST_SCOPE });
    log.info({ ...fields, expiring: tokens.expiresAt !== null }, "todoist connected");
    // A reconnect replaces the grant; the one it replaces should stop working too (unless Todoist handed back the same token).
    if (previous && !this.sameGrant(previous, tokens.accessToken)) {
      background.run("todoist.revoke-replaced", () => this.revoke(previous, options), { userId });
    }
    const { traceparent } = options;
    background.run("todoist.first-sync", () => sync.syncUser(userId, { traceparent, signal: background.signal }), { userId });
    return "connected";
  }

  /** Revokes at Todoist (best effort), then deletes the grant, the synced tasks and pending closes. False when not connected. */
  async disconnect(userId: string, options: CallOptions & { traceId?: string } = {}): Promise<boolean> {
    const { store, bus, log } = this.deps;
    const row = store.get(userId, TODOIST);
    if (!row) return false;
    await this.revoke(row, options);
    const { removed, tasks } = store.remove(userId, TODOIST);
    if (!removed) return false;
    bus.publish("signals.integration.changed", { provider: TODOIST, status: "disconnected" }, userId);
    bus.publish("signals.task.synced", { provider: TODOIST, total: 0, added: 0, updated: 0, removed: tasks }, userId);
    log.info({ traceId: options.traceId, userId, provider: TODOIST, removedTasks: tasks }, "todoist disconnected");
    return true;
  }

  /** Account deletion: revoke only; the rows go with the account. The hook has no request, so it starts its own trace. */
  async revokeFor(userId: string): Promise<void> {
    const row = this.deps.store.get(userId, TODOIST);
    if (!row) return;
    const { traceId, traceparent } = continueTrace(null);
    await this.revoke(row, { traceId, traceparent });
  }

  private sameGrant(row: IntegrationRow, accessToken: string): boolean {
    try {
      return this.deps.store.tokens(row).accessToken === accessToken;
    } catch {
      return false;
    }
  }

  /** Never throws: a Todoist that is down must not keep anyone connected against their will. Logs the reason, never the token. */
  private async revoke(row: IntegrationRow, options: CallOptions & { traceId?: string } = {}) {
    const { store, revokeClient, log } = this.deps;
    const fields = { traceId: options.traceId, userId: row.userId, provider: TODOIST };
    let grant;
    try {
      grant = store.tokens(row);
    } catch (error) {
      log.warn({ ...fields, reason: reasonOf(error) }, "todoist token could not be opened to revoke it");
      return;
    }
    // Each token on its own: a failed access-token revoke must not leave the refresh token live.
    let revoked = true;
    for (const [token, hint] of [[grant.accessToken, "access_token"], [grant.refreshToken, "refresh_token"]] as const) {
      if (!token) continue;
      try {
        await revokeClient.revokeToken(token, { traceparent: options.traceparent, hint });
      } catch (error) {
        revoked = false;
        log.warn({ ...fields, hint, reason: reasonOf(error) }, "todoist revoke failed; the token is deleted anyway");
      }
    }
    if (revoked) log.info(fields, "todoist grant revoked");
  }
}
