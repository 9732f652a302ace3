import { html } from "@elysiajs/html";
import { Elysia } from "elysia";
import { googleProvider } from "./auth/google.ts";
import { authGuards } from "./auth/guards.ts";
import { auth } from "./auth/index.ts";
import { SessionStore } from "./auth/service.ts";
import type { Config } from "./config.ts";
import type { DatabaseHandle } from "./db/client.ts";
import type { EventBus } from "./events/bus.ts";
import { cors } from "./http/cors.ts";
import { csrf } from "./http/csrf.ts";
import { errors } from "./http/errors.ts";
import { RateLimiter } from "./http/rate-limit.ts";
import { isStaticPath, staticFiles } from "./http/static.ts";
import { requestLog, tracing } from "./http/tracing.ts";
import { integrationRoutes, TODOIST_WEBHOOK_PATH } from "./integrations/index.ts";
import { createIntegrationsModule } from "./integrations/service.ts";
import type { JobRunner } from "./jobs/runner.ts";
import { legal } from "./legal/index.ts";
import type { Logger } from "./log.ts";
import { recommenderRoutes } from "./recommender/index.ts";
import type { RecommenderModuleDeps } from "./recommender/service.ts";
import { createRecommenderModule } from "./recommender/service.ts";
import { user } from "./user/index.ts";
import type { AccountDeletionHooks } from "./user/service.ts";

export interface AppDeps {
  config: Config;
  database: DatabaseHandle;
  log: Logger;
  bus: EventBus;
  jobs: JobRunner;
  scorer: RecommenderModuleDeps["scorer"];
  /** Modules register here what to revoke at providers when a person deletes their account. */
  accountDeletion: AccountDeletionHooks;
}

const HEALTH_PATH = "/health";
/** Guesses at ADMIN_TOKEN allowed per client IP and minute. */
const ADMIN_TOKEN_TRIES_PER_MINUTE = 10;

/** Static files are not worth a log line each (the /health probe never reaches the logger). */
const quietPath = isStaticPath;

/** Builds the whole HTTP application from its modules. Never listens: `main.ts` does, tests call `handle`. */
export function createApp(deps: AppDeps) {
  const { config, database, log, bus, accountDeletion } = deps;
  const db = database.db;
  const sessions = new SessionStore(db);
  deps.jobs.add({ name: "sessions.purge-expired", intervalMs: 3_600_000, startDelayMs: 60_000, run: () => sessions.purgeExpired() });
  const guards = authGuards(config, sessions);
  const google = config.google.clientId ? googleProvider(config) : null;
  const adminTokenLimiter = new RateLimiter(ADMIN_TOKEN_TRIES_PER_MINUTE, 60_000);
  const recommender = createRecommenderModule(deps);
  const integrations = createIntegrationsModule({ ...deps, recommender });
  return (
    new Elysia({ name: "oo" })
      // The probe comes before the request-scoped hooks (logging, CSRF, derive), which it needs none of.
      .get(HEALTH_PATH, () => ({ ok: true }))
      // The modules' services, for the console and for tests that drive a service directly.
      .decorate("modules", { recommender, integrations })
      .use(tracing(log, HEALTH_PATH))
      .use(requestLog(log, quietPath))
      .use(errors(log))
      .use(cors(config.webBaseUrl))
      .use(csrf({ trustedOrigins: [config.apiBaseUrl, config.webBaseUrl], exemptPaths: [TODOIST_WEBHOOK_PATH] }))
      .use(html())
      .use(staticFiles())
      .use(auth({ config, db, log, sessions, google, adminTokenLimiter }))
      .use(user({ config, guards, db, bus, log, hooks: accountDeletion }))
      .use(legal(config))
      .use(recommenderRoutes(guards, recommender))
      .use(integrationRoutes({ config, log, guards, module: integrations }))
  );
}

export type App = ReturnType<typeof createApp>;
