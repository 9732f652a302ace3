import { CappedMap, PER_PERSON_CACHE_LIMIT } from "../../capped-map.ts";
import type { EventBus, StoredEvent } from "../../events/bus.ts";
import { continueTrace, traceIdOf } from "../../trace.ts";
import type { Background } from "../../jobs/background.ts";
import { Pacer, yieldToServer } from "../../jobs/pacer.ts";
import { SingleFlight } from "../../jobs/single-flight.ts";
import type { Logger } from "../../log.ts";
import { SECOND_MS } from "../../time.ts";
import type { IntegrationStore } from "../store.ts";
import { IntegrationUnavailable, TODOIST, type TodoistAccess } from "./access.ts";
import { type CallOptions, type TodoistClient, TodoistAuthError, TodoistError, TodoistNotFoundError, type TodoistTaskList } from "./client.ts";
import { type CompletionCredit, SYNC_FEEDBACK_SOURCE } from "./completion-credit.ts";
import type { SyncCounts, TodoistTaskStore } from "./task-store.ts";
import { normalizeTask, type TodoistTask } from "./tasks.ts";

/** Users synced at once by the job. */
export const SYNC_CONCURRENCY = 4;
/** The job starts at most one user per this interval: 40 a second, so 1,000 users take about 25 s. */
export const SYNC_USER_SPACING_MS = 25;
/** The most of the thread's time the job's work on answers (normalising, writing) may take from serving requests. */
export const SYNC_THREAD_SHARE = 0.25;
/** A user's tasks older than this are refreshed in the background when a tip is chosen for them. */
export const STALE_AFTER_MS = 30 * SECOND_MS;

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
  /** The delayed reward of a task found completed. */
  credit: CompletionCredit;
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
  private readonly inFlight = new SingleFlight<SyncCounts | null>();
  /** Per user: not before this time will a read ask for another background sync. */
  private readonly nextCheck = new CappedMap<string, number>(PER_PERSON_CACHE_LIMIT);

  constructor(private readonly deps: TodoistSyncDeps) {}

  /** Syncs one user; a sync already running for them is joined, not repeated. Null when they have no working grant. */
  syncUser(userId: string, options: CallOptions = {}, pacer?: Pacer): Promise<SyncCounts | null> {
    return this.inFlight.run(userId, () => this.syncNow(userId, options, pacer));
  }

  /**
   * Every connected user, `SYNC_CONCURRENCY` at a time (their Todoist calls overlap; the work on
   * each answer is paced to `SYNC_THREAD_SHARE`); one trace per run, one span per user.
   */
  async syncAll(signal?: AbortSignal): Promise<SyncRun> {
    const { store, log } = this.deps;
    const users = store.connectedUsers(TODOIST);
    const trace = continueTrace(null);
    const started = performance.now();
    const pacer = new Pacer(SYNC_THREAD_SHARE, SYNC_USER_SPACING_MS);
    let ok = 0;
    let failed = 0;
    let next = 0;
    const worker = async () => {
      while (next < users.length && !signal?.aborted) {
        const userId = users[next++]!;
        await pacer.admit();
        try {
          await this.syncUser(userId, { traceparent: continueTrace(trace.traceparent).traceparent, signal }, pacer);
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
  refreshIfStale(userId: string, options: { traceparent?: string; now?: number } = {}): void {
    const now = options.now ?? Date.now();
    if (this.inFlight.has(userId)) return;
    const next = this.nextCheck.get(userId);
    if (next !== undefined && now < next) return;
    const row = this.deps.store.get(userId, TODOIST);
    const fresh = row?.lastSyncAt != null && now - row.lastSyncAt <= STALE_AFTER_MS;
    this.nextCheck.set(userId, fresh ? row!.lastSyncAt! + STALE_AFTER_MS : now + STALE_AFTER_MS);
    if (!row || row.status !== "connected" || fresh) return;
    // Joins the trace of the request that read the stale tasks, or starts one.
    const { traceparent } = continueTrace(options.traceparent ?? null);
    this.deps.background.run("todoist.refresh", () => this.syncUser(userId, { traceparent, signal: this.deps.background.signal }), { userId });
  }

  private async syncNow(userId: string, options: CallOptions, pacer?: Pacer): Promise<SyncCounts | null> {
    const { store, access, client } = this.deps;
    const row = store.get(userId, TODOIST);
    if (!row || row.status !== "connected") return null;
    const startedAt = Date.now();
    let listing: TodoistTaskList;
    try {
      listing = await access.withToken(userId, (token) => client.listTasks(token, options), options);
    } catch (error) {
      if (error instanceof IntegrationUnavailable) return null;
      if (!options.signal?.aborted && !(error instanceof TodoistAuthError)) store.recordSyncError(userId, TODOIST, safeReason(error));
      throw error;
    }
    // The work on the answer runs as one short step, after the requests waiting on this thread.
    const apply = () => {
      const { normalized, keep } = normalizeListing(listing);
      // The event commits with the rows and is announced (dropping cached candidates) once committed.
      let synced: StoredEvent | undefined;
      const announce = (counts: SyncCounts) => {
        synced = this.deps.bus.record("signals.task.synced", { provider: TODOIST, ...counts }, userId);
      };
      const counts = this.deps.tasks.replaceAll(userId, row.id, normalized, { keep, startedAt, announce, onRemoved: (taskId) => removed.push(taskId) });
      if (synced) this.deps.bus.deliver(synced);
      return counts;
    };
    const removed: string[] = [];
    const counts = await (pacer ? pacer.run(apply) : yieldToServer().then(apply));
    await this.creditCompletions(userId, removed, options);
    return counts;
  }

  /**
   * A task gone from the listing was completed or deleted; only Todoist can say which. Asked for the
   * few that a tip showed within the reward window and nobody answered, and a completed one credits
   * that tip (once: a webhook may have credited it already). Best effort: a failure leaves it be.
   */
  private async creditCompletions(userId: string, removed: string[], options: CallOptions) {
    const { credit, access, client, log } = this.deps;
    const now = Date.now();
    for (const taskId of removed) {
      if (options.signal?.aborted) return;
      if (!credit.creditable(userId, taskId, now)) continue;
      try {
        const task = await access.withToken(userId, (token) => client.getTask(token, taskId, options), options);
        if (task.checked === true || task.completed_at) credit.credit(userId, task, SYNC_FEEDBACK_SOURCE, now, traceIdOf(options.traceparent));
      } catch (error) {
        if (error instanceof TodoistNotFoundError) continue;
        log.warn({ userId, taskId, reason: safeReason(error) }, "todoist: could not tell whether a shown task was completed");
      }
    }
  }
}

/** The stored shape of each listed task; a task with an impossible due date keeps whatever is stored for it. */
function normalizeListing(listing: TodoistTaskList): { normalized: TodoistTask[]; keep: Set<string> } {
  const keep = new Set(listing.invalidIds);
  const normalized: TodoistTask[] = [];
  for (const task of listing.tasks) {
    try {
      normalized.push(normalizeTask(task));
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      keep.add(task.id);
    }
  }
  return { normalized, keep };
}
