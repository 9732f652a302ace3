import type { AuthModule } from "../auth/module.ts";
import type { EventBus } from "../events/bus.ts";
import { AppError, reasonOf } from "../errors.ts";
import type { IntegrationsModule } from "../integrations/module.ts";
import { consentsOf } from "../legal/service.ts";
import type { Logger } from "../log.ts";
import type { RecommenderModule } from "../recommender/module.ts";
import type { UserModule } from "../user/module.ts";
import type { Db } from "../db/client.ts";
import type { AuditLog } from "./audit.ts";
import { TODOIST } from "../integrations/todoist/access.ts";
import { USER_ACTIONS, type UserAction, type UserDetail, type UserList } from "./model.ts";

export interface UserAdminDeps {
  db: Db;
  bus: EventBus;
  log: Logger;
  audit: AuditLog;
  auth: AuthModule;
  user: UserModule;
  recommender: RecommenderModule;
  integrations: IntegrationsModule;
}

/** The list's cursor: the last person's created time and id, opaque to the client. */
const encodeCursor = (last: { createdAt: number; id: string }) => Buffer.from(`${last.createdAt}:${last.id}`).toString("base64url");

function decodeCursor(cursor: string): { createdAt: number; id: string } {
  const [createdAt, id] = Buffer.from(cursor, "base64url").toString().split(/:(.*)/s);
  if (!createdAt || !id || !/^\d+$/.test(createdAt)) throw new AppError("invalid", "invalid_cursor", "This page link is not valid: start from the first page.");
  return { createdAt: Number(createdAt), id };
}

/** The actions that would do something for this person now, done by `adminId`: the page offers only these. */
export function availableActions(detail: UserDetail, adminId: string): UserAction[] {
  const todoist = detail.integrations.find((integration) => integration.provider === TODOIST);
  const available: Record<UserAction, boolean> = {
    "end-sessions": detail.sessions.length > 0,
    "reset-bandit": detail.learnt.pulls > 0,
    "sync-now": todoist?.status === "connected",
    "revoke-integration": todoist !== undefined,
    delete: detail.profile.id !== adminId,
  };
  return USER_ACTIONS.filter((action) => available[action]);
}

/** What the console says an action did, and the event and audit row that record it. */
const DONE: Record<UserAction, string> = {
  "end-sessions": "Signed out everywhere",
  "reset-bandit": "Recommendations start afresh",
  "sync-now": "Synced",
  "revoke-integration": "Todoist disconnected",
  delete: "Account deleted",
};

/** The console's people: the list, one person's page, and what an admin can do to their account. */
export class UserAdmin {
  constructor(private readonly deps: UserAdminDeps) {}

  list(options: { search?: string; after?: string; limit?: number }): UserList {
    const limit = options.limit ?? 25;
    const rows = this.deps.user.search({ search: options.search?.trim() || undefined, after: options.after ? decodeCursor(options.after) : undefined, limit: limit + 1 });
    const users = rows.slice(0, limit);
    return { users, next: rows.length > limit ? encodeCursor(users.at(-1)!) : null };
  }

  detail(userId: string): UserDetail {
    const { auth, user, recommender, integrations } = this.deps;
    const profile = user.profile(userId);
    return {
      profile: { id: profile.id, email: profile.email, name: profile.name, role: profile.role, timezone: profile.timezone, pushOptIn: profile.pushOptIn },
      consents: consentsOf(this.deps.db, userId),
      integrations: integrations.store.list(userId).map(({ provider, status, lastSyncAt, lastSyncError, taskCount }) => ({ provider, status, lastSyncAt, lastSyncError, taskCount })),
      sessions: auth.sessions.ofUser(userId),
      tips: recommender.recentTips(userId),
      learnt: { pulls: recommender.bandits.get(userId, "linucb")?.pulls ?? 0 },
    };
  }

  /**
   * Does `action` to the person's account, then audits it and publishes `admin.action`, whether it
   * worked or not; returns what it did in a sentence. An admin cannot delete their own account here.
   */
  async act(adminId: string, userId: string, action: UserAction): Promise<string> {
    const { audit, bus, log } = this.deps;
    this.deps.user.profile(userId); // a 404 for no such person, before anything is recorded
    let message: string;
    try {
      message = await this.perform(adminId, userId, action);
    } catch (error) {
      const detail = error instanceof AppError ? error.message : `Failed: ${reasonOf(error)}`;
      audit.record({ actorId: adminId, action: `user.${action}`, targetId: userId, result: "failed", detail });
      bus.publish("admin.action", { action, targetId: userId, result: "failed" }, adminId);
      log.warn({ adminId, userId, action, reason: reasonOf(error) }, "admin action failed");
      throw error instanceof AppError ? error : new AppError("unavailable", "action_failed", detail);
    }
    audit.record({ actorId: adminId, action: `user.${action}`, targetId: userId, result: "ok", detail: message });
    bus.publish("admin.action", { action, targetId: userId, result: "ok" }, adminId);
    log.info({ adminId, userId, action }, "admin action");
    return message;
  }

  private async perform(adminId: string, userId: string, action: UserAction): Promise<string> {
    const { auth, user, recommender, integrations } = this.deps;
    switch (action) {
      case "end-sessions": {
        const ended = auth.sessions.endAll(userId);
        return `${DONE[action]}: ${ended} session${ended === 1 ? "" : "s"} ended.`;
      }
      case "reset-bandit": {
        await recommender.feedback.resetLearning(userId);
        return `${DONE[action]}: what was learnt about them is cleared.`;
      }
      case "sync-now": {
        const counts = await integrations.sync.syncUser(userId);
        if (!counts) throw new AppError("conflict", "not_connected", "Todoist is not connected and working for them: nothing to sync.");
        return `${DONE[action]}: ${counts.total} open task${counts.total === 1 ? "" : "s"} (${counts.added} new, ${counts.removed} gone).`;
      }
      case "revoke-integration": {
        if (!(await integrations.connections.disconnect(userId))) throw new AppError("conflict", "not_connected", "Todoist is not connected for them.");
        return `${DONE[action]}: the grant is revoked and their tasks are removed.`;
      }
      case "delete": {
        if (userId === adminId) throw new AppError("conflict", "own_account", "Delete your own account from your account page, not here.");
        await user.deleteAccount(userId);
        return `${DONE[action]}: everything about them is erased.`;
      }
    }
  }
}
