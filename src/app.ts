import { html } from "@elysiajs/html";
import { Elysia } from "elysia";
import { authRoutes } from "./auth/index.ts";
import { cors } from "./http/cors.ts";
import { BODY_LIMIT_BYTES, bodies } from "./http/bodies.ts";
import { csrf } from "./http/csrf.ts";
import { errors } from "./http/errors.ts";
import { HEALTH_PATH, requestContext, requestLog } from "./http/request-context.ts";
import { securityHeaders } from "./http/security-headers.ts";
import { isStaticPath, staticFiles } from "./http/static.ts";
import { integrationRoutes, TODOIST_WEBHOOK_PATH } from "./integrations/index.ts";
import { CONNECT_TODOIST_URL } from "./integrations/page.ts";
import { MAX_WEBHOOK_BYTES } from "./integrations/todoist/webhook.ts";
import { GOOGLE_LOGIN_PATH } from "./auth/index.ts";
import { legalRoutes } from "./legal/index.ts";
import { recommenderRoutes } from "./recommender/index.ts";
import type { Runtime } from "./runtime.ts";
import { userRoutes } from "./user/index.ts";

/** Routes that take raw bytes, with their limits: the Todoist webhook is verified on exactly what was signed. */
const RAW_BODIES = { [TODOIST_WEBHOOK_PATH]: MAX_WEBHOOK_BYTES };
/** What the server reads of any request at most (Bun refuses the rest while reading); each route has its own limit below it. */
export const MAX_REQUEST_BYTES = Math.max(BODY_LIMIT_BYTES, ...Object.values(RAW_BODIES));

/** Static files are not worth a log line each (the /health probe never reaches the logger). */
const quietPath = isStaticPath;

/**
 * The HTTP application: the infrastructure plugins, then each module's routes. It builds nothing
 * and never listens: the runtime holds the services, `main.ts` listens, tests call `handle`.
 */
export function createApp(runtime: Runtime) {
  const { config, log } = runtime;
  return (
    new Elysia({ name: "oo" })
      // The probe comes before the request-scoped hooks (logging, CSRF, derive), which it needs none of.
      .get(HEALTH_PATH, () => ({ ok: true }))
      .use(securityHeaders(config))
      .use(requestContext(log))
      .use(requestLog(log, quietPath))
      .use(errors(log))
      .use(cors(config.webBaseUrl))
      .use(csrf({ trustedOrigins: [config.apiBaseUrl, config.webBaseUrl], exemptPaths: [TODOIST_WEBHOOK_PATH] }))
      .use(bodies({ raw: RAW_BODIES, formApis: [GOOGLE_LOGIN_PATH, CONNECT_TODOIST_URL] }))
      .use(html())
      .use(staticFiles())
      .use(authRoutes(runtime))
      .use(userRoutes(runtime))
      .use(legalRoutes(runtime))
      .use(recommenderRoutes(runtime))
      .use(integrationRoutes(runtime))
  );
}

export type App = ReturnType<typeof createApp>;
