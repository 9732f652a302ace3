import type { Config } from "../config.ts";
import type { DatabaseHandle } from "../db/client.ts";
import type { EventBus } from "../events/bus.ts";
import type { JobRunner } from "../jobs/runner.ts";
import type { Logger } from "../log.ts";
import type { RecommenderModule } from "../recommender/service.ts";
import type { AccountDeletionHooks } from "../user/service.ts";
import { Background } from "./background.ts";
import { IntegrationStore } from "./store.ts";
import { TODOIST, TodoistAccess } from "./todoist/access.ts";
import { TodoistClient } from "./todoist/client.ts";
import { StateBinding, TodoistConnections } from "./todoist/connect.ts";
import { CloseOutbox } from "./todoist/outbox.ts";
import { TodoistSync } from "./todoist/sync.ts";
import { TodoistTaskStore } from "./todoist/task-store.ts";
import { DELIVERY_RETENTION_MS, TodoistWebhooks, WEBHOOK_FEEDBACK_SOURCE } from "./todoist/webhook.ts";
import { TokenVault } from "./vault.ts";

export interface IntegrationsModuleDeps {
  config: Config;
  database: DatabaseHandle;
  bus: EventBus;
  log: Logger;
  jobs: JobRunner;
  accountDeletion: AccountDeletionHooks;
  recommender: Pick<RecommenderModule, "tasks" | "feedback">;
}

const SYNC_START_DELAY_MS = 10_000;
const OUTBOX_INTERVAL_MS = 15_000;
const OUTBOX_START_DELAY_MS = 5_000;

/**
 * Connected task managers (Todoist for now): the token vault, OAuth connect and disconnect, the
 * background sync, webhooks, and closing tasks upstream through the outbox. Registers its jobs,
 * its account-deletion hook, and its hooks into the recommender's task source.
 */
export function createIntegrationsModule({ config, database, bus, log, jobs, accountDeletion, recommender }: IntegrationsModuleDeps) {
  const { db } = database;
  const vault = new TokenVault(config);
  const store = new IntegrationStore(db, vault, bus);
  const tasks = new TodoistTaskStore(db);
  const background = new Background(log);
  const client = new TodoistClient(config.todoist);
  // Writes and revocations make one attempt per call: the outbox retries closes, and revocation is best effort.
  const oneShot = new TodoistClient(config.todoist, { maxRetries: 0, timeoutMs: 5_000 });
  const access = new TodoistAccess(store, client, log);
  const sync = new TodoistSync({ store, tasks, access, client, bus, log, background });
  const outbox = new CloseOutbox({ db, store, access, client: oneShot, log, signal: background.signal });
  const webhooks = new TodoistWebhooks({
    db,
    store,
    tasks,
    feedback: recommender.feedback,
    bus,
    log,
    background,
    clientSecret: config.todoist.clientSecret,
  });
  const configured = config.todoist.clientId !== "";
  const connections = new TodoistConnections({ store, client, revokeClient: oneShot, sync, bus, log, background, configured });
  const state = new StateBinding(config.sessionSecret);

  recommender.tasks.onComplete(TODOIST, (userId, taskId, context) => {
    if (context.source === WEBHOOK_FEEDBACK_SOURCE) return;
    outbox.enqueue(userId, taskId, context.traceparent);
  });
  recommender.tasks.onRead(TODOIST, (userId, context) => sync.refreshIfStale(userId, { traceparent: context.traceparent }));
  accountDeletion.register(TODOIST, (userId) => connections.revokeFor(userId));

  jobs.add({
    name: "todoist.sync",
    intervalMs: config.todoist.syncIntervalMs,
    startDelayMs: SYNC_START_DELAY_MS,
    run: async (signal) => {
      await sync.syncAll(signal);
      const deliveries = webhooks.purgeDeliveries();
      const closes = outbox.purgeDone(DELIVERY_RETENTION_MS);
      if (deliveries || closes) log.info({ deliveries, closes }, "todoist: purged old webhook deliveries and delivered closes");
    },
  });
  jobs.add({ name: "todoist.outbox", intervalMs: OUTBOX_INTERVAL_MS, startDelayMs: OUTBOX_START_DELAY_MS, run: () => outbox.kick() });

  return {
    configured,
    vault,
    store,
    tasks,
    client,
    access,
    sync,
    outbox,
    webhooks,
    connections,
    state,
    /** Resolves when background work started so far is finished (tests). */
    idle: async () => {
      await background.idle();
      await outbox.idle();
    },
    /** Aborts and awaits background work (shutdown). */
    close: async () => {
      await background.close();
      await outbox.idle();
    },
  };
}

export type IntegrationsModule = ReturnType<typeof createIntegrationsModule>;
