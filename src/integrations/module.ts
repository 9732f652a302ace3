import { Background } from "../jobs/background.ts";
import type { CandidateSource } from "../recommender/candidates/types.ts";
import type { Kernel } from "../runtime.ts";
import { SECOND_MS } from "../time.ts";
import { rotateKeys } from "./rotate.ts";
import { IntegrationStore } from "./store.ts";
import { TaskSource } from "./task-source.ts";
import { TODOIST, TodoistAccess } from "./todoist/access.ts";
import { TodoistClient } from "./todoist/client.ts";
import { CLOSE_TASK, type ClosePayload, REOPEN_TASK, TodoistCloses, taskChangeHandler } from "./todoist/close-task.ts";
import { StateBinding, TodoistConnections } from "./todoist/connect.ts";
import { TodoistSync } from "./todoist/sync.ts";
import { TodoistTaskStore } from "./todoist/task-store.ts";
import { CompletionCredit, type CompletionRewards, TODOIST_FEEDBACK_SOURCES } from "./todoist/completion-credit.ts";
import { TodoistWebhooks } from "./todoist/webhook.ts";
import { TokenVault } from "./vault.ts";

/** What integrations needs from the recommender: a place for its tasks among the candidates, and the delayed reward. */
export interface IntegrationsDeps {
  recommender: {
    pool: { addSource(source: CandidateSource): void };
    feedback: Pick<CompletionRewards, "give">;
    latestTipShowing: CompletionRewards["latestTipShowing"];
  };
}

const SYNC_START_DELAY_MS = 10 * SECOND_MS;
/** Writes and revocations make one attempt per call, briefly: the outbox retries closes, and revocation is best effort. */
const ONE_SHOT = { maxRetries: 0, timeoutMs: 5 * SECOND_MS };

/**
 * Connected task managers (Todoist for now): the token vault, OAuth connect and disconnect, the
 * background sync, webhooks, and closing tasks upstream through the outbox. Registers its sync
 * job, its outbox handler, its account-deletion hook, and its tasks as a candidate source.
 */
export function createIntegrationsModule({ config, database, bus, log, jobs, outbox, accountDeletion }: Kernel, { recommender }: IntegrationsDeps) {
  const { db } = database;
  const vault = new TokenVault(config);
  const store = new IntegrationStore(db, vault, bus, outbox);
  const closes = new TodoistCloses(outbox, store, config.undoMs);
  const tasks = new TodoistTaskStore(db, closes);
  const background = new Background(log);
  const client = new TodoistClient(config.todoist);
  const oneShot = new TodoistClient(config.todoist, ONE_SHOT);
  const access = new TodoistAccess(store, client, log);
  const rewards: CompletionRewards = {
    latestTipShowing: (userId, candidateKey, since) => recommender.latestTipShowing(userId, candidateKey, since),
    give: (userId, tipId, action, options) => recommender.feedback.give(userId, tipId, action, options),
  };
  const credit = new CompletionCredit({ rewards, closes, background, log });
  const sync = new TodoistSync({ store, tasks, access, client, credit, bus, log, background });
  const webhooks = new TodoistWebhooks({ db, store, tasks, credit, bus, log, background, clientSecret: config.todoist.clientSecret });
  const configured = config.todoist.clientId !== "";
  const connections = new TodoistConnections({ store, client, revokeClient: oneShot, sync, bus, log, background, configured });
  const state = new StateBinding(config.sessionSecret);

  outbox.register(CLOSE_TASK, taskChangeHandler("closeTask", { access, client: oneShot }));
  const reopen = taskChangeHandler("reopenTask", { access, client: oneShot });
  outbox.register<ClosePayload>(REOPEN_TASK, {
    ...reopen,
    // The task is active again in Todoist: a sync brings it back here if a sync had removed it.
    async deliver(item, context) {
      const outcome = await reopen.deliver(item, context);
      if (outcome === "delivered") background.run("todoist.refresh", () => sync.syncUser(item.userId, { traceparent: context.traceparent, signal: background.signal }), { userId: item.userId });
      return outcome;
    },
  });
  recommender.pool.addSource(
    new TaskSource(db, {
      [TODOIST]: {
        // A completion Todoist itself reported is not sent back to it.
        complete: (userId, taskId, context) => {
          if (!TODOIST_FEEDBACK_SOURCES.has(context.source ?? "")) closes.enqueue(userId, taskId, context.traceparent);
        },
        uncomplete: (userId, taskId, since, context) => void closes.undo(userId, taskId, since, context.traceparent),
        touch: (userId, context) => sync.refreshIfStale(userId, { traceparent: context.traceparent }),
      },
    }),
  );
  accountDeletion.register(TODOIST, (userId) => connections.revokeFor(userId));
  jobs.add({
    name: "todoist.sync",
    intervalMs: config.todoist.syncIntervalMs,
    startDelayMs: SYNC_START_DELAY_MS,
    run: async (signal) => {
      await sync.syncAll(signal);
      const deliveries = webhooks.purgeDeliveries();
      if (deliveries) log.info({ deliveries }, "todoist: purged old webhook deliveries");
    },
  });

  return {
    /** False when TODOIST_CLIENT_ID is empty: Todoist is hidden and its routes answer 404. */
    configured,
    /** Whether connecting Todoist is worth offering this person: it can be connected here, and is not yet. */
    offersConnect: (userId: string) => configured && !store.get(userId, TODOIST),
    vault,
    store,
    tasks,
    client,
    access,
    sync,
    closes,
    webhooks,
    connections,
    /** Binds the OAuth `state` to the session that started the connect. */
    state,
    /** `oo rotate-keys`: every stored provider token re-encrypted under ENCRYPTION_KEY. */
    rotateKeys: () => rotateKeys(db, vault),
    /** Resolves when the background work and outbox deliveries started so far are finished (tests). */
    idle: async () => {
      await background.idle();
      await outbox.idle();
      // A delivery may start background work of its own (a reopened task's sync).
      await background.idle();
    },
    /** Aborts and awaits the background work (a first sync, a revocation, a reward); the runtime stops the outbox. */
    stop: () => background.close(),
  };
}

export type IntegrationsModule = ReturnType<typeof createIntegrationsModule>;
