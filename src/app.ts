import { html } from "@elysiajs/html";
import { Elysia, t } from "elysia";
import { adminRoutes, settingsRoutes } from "./admin/index.ts";
import { authRoutes, GOOGLE_LOGIN_PATH, SIGNED_OUT_APIS } from "./auth/index.ts";
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
import { legalRoutes } from "./legal/index.ts";
import { notifierRoutes } from "./notifier/index.ts";
import { recommenderRoutes } from "./recommender/index.ts";
import type { Runtime } from "./runtime.ts";
import { userRoutes } from "./user/index.ts";

/** Routes that take raw bytes, with their limits: the Todoist webhook is verified on exactly what was signed. */
const RAW_BODIES = { [TODOIST_WEBHOOK_PATH]: MAX_WEBHOOK_BYTES };
/** What the server reads of any request at most (Bun refuses the rest while reading); each route has its own limit below it. */
export const MAX_REQUEST_BYTES = Math.max(BODY_LIMIT_BYTES, ...Object.values(RAW_BODIES));

/** Static files are not worth a log line each (the /health probe never reaches the logger). */
const quietPath = isStaticPath;

/** What `GET /health` answers while the process serves. */
const HEALTH = { ok: true };

/** The body of a route that declares none: nothing, or an object with no fields (a button's empty form). */
const NO_BODY = t.Optional(t.Object({}));

/**
 * The HTTP application: the infrastructure plugins, then each module's routes. It builds nothing
 * and never listens: the runtime holds the services, `main.ts` listens, tests call `handle`.
 *
 * Input is checked as sent, never cleaned: `normalize: false` turns off Elysia's default, which
 * drops fields a schema does not declare before checking, so an object schema (Elysia makes it
 * `additionalProperties: false` unless it says otherwise) refuses an unknown field with a 400 naming
 * it, in a body, form or path, and in a query unless its schema allows more. Responses are checked
 * the same way: a field a response schema does not declare is a server error, never sent.
 */
export function createApp(runtime: Runtime) {
  const { config, log } = runtime;
  return (
    // The listening server answers the probe itself, without running any JavaScript: it is up as soon
    // as it listens, and no route's handler has to be compiled for it. `handle` answers the same.
    new Elysia({ name: "oo", normalize: false, serve: { routes: { [HEALTH_PATH]: { GET: Response.json(HEALTH) } } } })
      // The probe comes before every hook (host check, headers, logging, CSRF), which it needs none of: a
      // load balancer may name the instance by its IP address.
      .get(HEALTH_PATH, HEALTH)
      .use(securityHeaders(config))
      .use(requestContext(log))
      .use(requestLog(log, quietPath))
      .use(errors(log))
      .use(cors(config.webBaseUrl))
      .use(csrf({ trustedOrigins: [config.apiBaseUrl, config.webBaseUrl], exemptPaths: [TODOIST_WEBHOOK_PATH] }))
      .use(
        bodies({
          raw: RAW_BODIES,
          formApis: [GOOGLE_LOGIN_PATH, CONNECT_TODOIST_URL],
          signedOutApis: SIGNED_OUT_APIS,
          hasSession: runtime.modules.auth.hasLiveSession,
        }),
      )
      // Every route after this declares its body, or takes none.
      .guard({ as: "global", body: NO_BODY })
      .use(html())
      .use(staticFiles())
      .use(authRoutes(runtime))
      .use(userRoutes(runtime))
      .use(legalRoutes(runtime))
      .use(recommenderRoutes(runtime))
      .use(integrationRoutes(runtime))
      .use(notifierRoutes(runtime))
      .use(adminRoutes(runtime))
      .use(settingsRoutes(runtime))
  );
}

export type App = ReturnType<typeof createApp>;
