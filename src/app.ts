import { html } from "@elysiajs/html";
import { Elysia } from "elysia";
import { HomePage } from "../views/home.tsx";
import type { Config } from "./config.ts";
import type { DatabaseHandle } from "./db/client.ts";
import type { EventBus } from "./events/bus.ts";
import { cors } from "./http/cors.ts";
import { csrf } from "./http/csrf.ts";
import { errors } from "./http/errors.ts";
import { isStaticPath, staticFiles } from "./http/static.ts";
import { requestLog, tracing } from "./http/tracing.ts";
import type { JobRunner } from "./jobs/runner.ts";
import type { Logger } from "./log.ts";

export interface AppDeps {
  config: Config;
  database: DatabaseHandle;
  log: Logger;
  bus: EventBus;
  jobs: JobRunner;
}

/** Probes and static files are not worth a log line each. */
const quietPath = (path: string) => path === "/health" || isStaticPath(path);

/** Builds the whole HTTP application from its modules. Never listens: `main.ts` does, tests call `handle`. */
export function createApp(deps: AppDeps) {
  const { config, log } = deps;
  return new Elysia({ name: "oo" })
    .use(tracing(log))
    .use(requestLog(log, quietPath))
    .use(errors(log))
    .use(cors(config.webBaseUrl))
    .use(csrf({ trustedOrigins: [config.apiBaseUrl, config.webBaseUrl], exemptPaths: [] }))
    .use(html())
    .get("/health", () => ({ ok: true }))
    .use(staticFiles())
    .get("/", () => HomePage());
}

export type App = ReturnType<typeof createApp>;
