import { SingleFlight } from "../../jobs/single-flight.ts";
import type { Logger } from "../../log.ts";
import { MINUTE_MS } from "../../time.ts";
import type { IntegrationRow, IntegrationStore } from "../store.ts";
import { type CallOptions, type TodoistClient, TodoistAuthError } from "./client.ts";

export const TODOIST = "todoist";

/** A token is refreshed when less than this is left of it. */
export const REFRESH_MARGIN_MS = 5 * MINUTE_MS;

/** There is no working grant for this user: none stored (`gone`) or Todoist refused it (`needs_reconnect`). */
export class IntegrationUnavailable extends Error {
  override readonly name = "IntegrationUnavailable";
  constructor(readonly reason: "gone" | "needs_reconnect") {
    super(reason === "gone" ? "Todoist is not connected" : "Todoist needs reconnecting");
  }
}

/**
 * Access tokens for Todoist calls made on a user's behalf. Expiring tokens are refreshed
 * transparently shortly before they lapse, one refresh per user at a time (Todoist rotates the
 * refresh token, so two racing refreshes would leave one of them holding a dead token). A grant
 * Todoist refuses marks the integration "needs reconnect".
 */
export class TodoistAccess {
  private readonly refreshing = new SingleFlight<string>();

  constructor(
    private readonly store: IntegrationStore,
    private readonly client: TodoistClient,
    private readonly log: Logger,
  ) {}

  /** A token good for at least a few more minutes. */
  async tokenFor(userId: string, options: CallOptions = {}): Promise<string> {
    const row = this.usable(userId);
    const expiresAt = row.accessTokenExpiresAt;
    if (row.refreshTokenCiphertext && expiresAt !== null && expiresAt - Date.now() < REFRESH_MARGIN_MS) {
      return this.refresh(userId, row.accessTokenCiphertext, options);
    }
    return this.store.tokens(row).accessToken;
  }

  /**
   * Runs one call with the user's token. A 401/403 is given one second chance with a refreshed
   * token (when there is a refresh token); a refusal after that marks the integration.
   */
  async withToken<T>(userId: string, call: (token: string) => Promise<T>, options: CallOptions = {}): Promise<T> {
    const token = await this.tokenFor(userId, options);
    try {
      return await call(token);
    } catch (error) {
      if (!(error instanceof TodoistAuthError)) throw error;
      const row = this.store.get(userId, TODOIST);
      if (!row?.refreshTokenCiphertext || row.status !== "connected") {
        this.refused(userId, error);
        throw error;
      }
      const fresh = await this.refresh(userId, row.accessTokenCiphertext, options);
      try {
        return await call(fresh);
      } catch (second) {
        if (second instanceof TodoistAuthError) this.refused(userId, second);
        throw second;
      }
    }
  }

  private usable(userId: string): IntegrationRow {
    const row = this.store.get(userId, TODOIST);
    if (!row) throw new IntegrationUnavailable("gone");
    if (row.status !== "connected") throw new IntegrationUnavailable("needs_reconnect");
    return row;
  }

  private refused(userId: string, error: TodoistAuthError) {
    if (this.store.markNeedsReconnect(userId, TODOIST, error.message)) {
      this.log.warn({ userId, provider: TODOIST, reason: error.message }, "todoist refused the grant; the user must reconnect");
    }
  }

  /** Refreshes unless the stored token already moved on from `staleCiphertext`; concurrent callers share one refresh. */
  private refresh(userId: string, staleCiphertext: string, options: CallOptions): Promise<string> {
    return this.refreshing.run(userId, () => this.refreshNow(userId, staleCiphertext, options));
  }

  private async refreshNow(userId: string, staleCiphertext: string, options: CallOptions): Promise<string> {
    const row = this.usable(userId);
    const stored = this.store.tokens(row);
    // Another refresh finished between the caller's read and this one.
    if (row.accessTokenCiphertext !== staleCiphertext) return stored.accessToken;
    if (!stored.refreshToken) {
      const error = new TodoistAuthError("Todoist refresh token: none stored", null, false);
      this.refused(userId, error);
      throw error;
    }
    let fresh;
    try {
      fresh = await this.client.refreshAccessToken(stored.refreshToken, options);
    } catch (error) {
      if (error instanceof TodoistAuthError) this.refused(userId, error);
      throw error;
    }
    const grant = { accessToken: fresh.accessToken, refreshToken: fresh.refreshToken ?? stored.refreshToken, expiresAt: fresh.expiresAt };
    if (!this.store.replaceTokens(row, grant)) {
      // Disconnected while the refresh was in flight: the new grant must not outlive the old one.
      await this.client.revokeToken(fresh.accessToken, options).catch(() => undefined);
      throw new IntegrationUnavailable("gone");
    }
    this.log.debug({ userId, provider: TODOIST }, "todoist token refreshed");
    return fresh.accessToken;
  }
}
