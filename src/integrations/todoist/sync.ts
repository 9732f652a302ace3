import type { EventBus } from "../../events/bus.ts";
import { continueTrace } from "../../http/tracing.ts";
import type { Logger } from "../../log.ts";
import type { Background } from "../background.ts";
import type { IntegrationStore } from "../store.ts";
import { IntegrationUnavailable, TODOIST, type TodoistAccess } from "./access.ts";
import { type CallOptions, type TodoistClient, TodoistAuthError, TodoistError } from "./client.ts";
import type { SyncCounts, TodoistTaskStore } from "./task-store.ts";
import { normalizeTask, type TodoistTask } from "./tasks.ts";

/** Users synced at once by the job. */
export const SYNC_CONCURRENCY = 4;
/** A user's tasks older than this are refreshed in the background when a tip is chosen for them. */
export const STALE_AFTER_MS = 30_000;
const MAX_TRACKED_USERS = 10_000;

export interface SyncRun {
  ok: number;
  failed: number;
  users: number;
}

export interface TodoistSyncDeps {
  store: IntegrationStore;
  tasks: TodoistTaskStore;
  access: TodoistAccess;
  client: TodoistClient;
  bus: EventBus;
  log: Logger;
  background: Background;
}

/** A message fit to store and show: the client's own (which never names a token), or a generic one. */
export function safeReason(error: unknown): string {
  if (error instanceof TodoistError || error instanceof IntegrationUnavailable) return error.message;
  return "unexpected error (see the server log)";
}

/**
 * Brings the stored copy of users' open Todoist tasks up to date: all connected users on a
 * schedule (a few at a time, each on its own, one failure never stopping the rest), one user
 * right after they connect, and one user in the background when their copy is stale.
 */
export class TodoistSync {
  private readonly inFlight = new Map<string, Promise<SyncCounts | null>>();
  /** Per user: not before this time will a read ask for another background sync. */
  private readonly nextCheck = new Map<string, number>();

  constructor(private readonly deps: TodoistSyncDeps) {}

  /** Syncs one user; a sync already running for them is joined, not repeated. Null when they have no working grant. */
  syncUser(userId: string, options: CallOptions = {}): Promise<SyncCounts | null> {
    const running = this.inFlight.get(userId);
    if (running) return running;
    const work = this.syncNow(userId, options);
    this.inFlight.set(userId, work);
    const done = () => {
      if (this.inFlight.get(userId) === work) this.inFlight.delete(userId);
    };
    work.then(done, done);
    return work;
  }

  /** Every connected user, `SYNC_CONCURRENCY` at a time; one trace per run, one span per user. */
  async syncAll(signal?: AbortSignal): Promise<SyncRun> {
    const { store, log } = this.deps;
    const users = store.connectedUsers(TODOIST);
    const trace = continueTrace(null);
    const started = performance.now();
    let ok = 0;
    let failed = 0;
    let next = 0;
    const worker = async () => {
      while (next < users.length && !signal?.aborted) {
        const userId = users[next++]!;
        try {
          await this.syncUser(userId, { traceparent: continueTrace(trace.traceparent).traceparent, signal });
          ok++;
        } catch (error) {
          if (signal?.aborted) return;
          failed++;
          log.warn({ traceId: trace.traceId, userId, provider: TODOIST, reason: safeReason(error) }, "todoist sync failed for a user");
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(SYNC_CONCURRENCY, users.length) }, worker));
    const level = users.length > 0 ? "info" : "debug";
    const durationMs = Math.round(performance.now() - started);
    log[level]({ traceId: trace.traceId, ok, failed, users: users.length, durationMs }, `todoist sync: ${ok} ok, ${failed} failed (${users.length} users)`);
    return { ok, failed, users: users.length };
  }

  /**
   * Called whenever a user's candidates are read: when their last sync is older than
   * `STALE_AFTER_MS`, starts a one-user sync in the background. At most one in flight per user,
   * and at most one check per user every `STALE_AFTER_MS`; never blocks the caller.
   */
  refreshIfStale(userId: string, now = Date.now()): void {
    if (this.inFlight.has(userId)) return;
    const next = this.nextCheck.get(userId);
    if (next !== undefined && now < next) return;
    const row = this.deps.store.get(userId, TODOIST);
    const fresh = row?.lastSyncAt != null && now - row.lastSyncAt <= STALE_AFTER_MS;
    this.remember(userId, fresh ? row!.lastSyncAt! + STALE_AFTER_MS : now + STALE_AFTER_MS);
    if (!row || row.status !== "connected" || fresh) return;
    const { traceparent } = continueTrace(null);
    this.deps.background.run("todoist.refresh", () => this.syncUser(userId, { traceparent, signal: this.deps.background.signal }), { userId });
  }

  private remember(userId: string, next: number) {
    this.nextCheck.delete(userId);
    if (this.nextCheck.size >= MAX_TRACKED_USERS) this.nextCheck.delete(this.nextCheck.keys().next().value!);
    this.nextCheck.set(userId, next);
  }

  private async syncNow(userId: string, options: CallOptions): Promise<SyncCounts | null> {
    const { store, tasks, access, client, bus } = this.deps;
    const row = store.get(userId, TODOIST);
    if (!row || row.status !== "connected") return null;
    const startedAt = Date.now();
    let listing;
    try {
      listing = await access.withToken(userId, (token) => client.listTasks(token, options), options);
    } catch (error) {
      if (error instanceof IntegrationUnavailable) return null;
      if (!options.signal?.aborted && !(error instanceof TodoistAuthError)) store.recordSyncError(userId, TODOIST, safeReason(error));
      throw error;
    }
    const keep = new Set(listing.invalidIds);
    const normalized: TodoistTask[] = [];
    for (const task of listing.tasks) {
      try {
        normalized.push(normalizeTask(task));
      } catch (error) {
        // An impossible due date: keep whatever is stored for that task rather than dropping it.
        if (!(error instanceof RangeError)) throw error;
        keep.add(task.id);
      }
    }
    const counts = tasks.replaceAll(userId, row.id, normalized, keep, startedAt);
    if (!counts) return null;
    bus.publish("signals.task.synced", { provider: TODOIST, ...counts }, userId);
    return counts;
  }
}
