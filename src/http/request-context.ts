import { Elysia } from "elysia";
import { mergeStatus } from "elysia/adapter/utils";
import type { Logger } from "../log.ts";
import { continueTrace, type Trace, TracedLogger } from "../trace.ts";

const traces = new WeakMap<Request, Trace>();

/** The trace of a request; created on first use so every hook and handler sees the same one. */
export function requestTrace(request: Request): Trace {
  let trace = traces.get(request);
  if (!trace) {
    trace = continueTrace(request.headers.get("traceparent"));
    traces.set(request, trace);
  }
  return trace;
}

/** The path the health probe answers on: it logs nothing and calls nothing, so it gets no trace. */
export const HEALTH_PATH = "/health";

/**
 * The request context every handler sees: `traceId`, `traceparent` (for outbound calls) and a
 * `log` that stamps the trace id on each line; `traceparent` is echoed on every response. Each
 * module's routes `.use()` it for the types; Elysia registers a named plugin once. The health
 * probe is left out: minting trace ids for it cost a tenth of its throughput.
 */
export function requestContext(log: Logger) {
  return new Elysia({ name: "http.request-context" })
    .onRequest(({ request, set }) => {
      if (request.url.endsWith(HEALTH_PATH)) return;
      set.headers.traceparent = requestTrace(request).traceparent;
    })
    .derive({ as: "global" }, ({ request }) => {
      const { traceId, traceparent } = requestTrace(request);
      return { traceId, traceparent, log: new TracedLogger(log, traceId) };
    });
}

const SENSITIVE_QUERY = /^\/(api\/(auth|integrations)\/|setup\/?$)/;
/** A log line keeps this much of a path: a client may send tens of KB of query string, the log need not hold it. */
export const MAX_LOGGED_PATH = 2048;

const capped = (path: string) => (path.length > MAX_LOGGED_PATH ? `${path.slice(0, MAX_LOGGED_PATH)}…[${path.length - MAX_LOGGED_PATH} more]` : path);

/** The path as logged: OAuth `code` and `state`, and owner setup tokens, live in these query strings, so they are dropped. */
export function loggedPath(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  const pathAndQuery = start === -1 ? "/" : url.slice(start);
  const queryAt = pathAndQuery.indexOf("?");
  if (queryAt === -1) return capped(pathAndQuery);
  const path = pathAndQuery.slice(0, queryAt);
  return SENSITIVE_QUERY.test(path) ? `${capped(path)}?[redacted]` : capped(pathAndQuery);
}

/**
 * One line per request: method, path, status, duration, trace id. Never headers, so never cookies.
 *
 * The hook is not handed the response that was sent, only what it was made from: `set`, and the
 * value the handler, a `mapResponse` hook or the error plugin returned. `@elysiajs/html` wraps a page
 * in a fresh 200 `Response` and leaves the page's status (the spent setup link's 410) in
 * `set.status`; `redirect()` returns a 303 `Response` and leaves `set.status` at 200. Elysia sends
 * the `Response`'s own status unless it is 200, else `set.status`: `mergeStatus` is that rule, taken
 * from Elysia so the line says what the client got.
 */
export function requestLog(log: Logger, skip: (path: string) => boolean) {
  return new Elysia({ name: "http.request-log" }).onAfterResponse(
    { as: "global" },
    ({ request, path, set, responseValue }) => {
      if (skip(path)) return;
      const trace = requestTrace(request);
      const status = Number((responseValue instanceof Response ? mergeStatus(responseValue.status, set.status) : set.status) ?? 200);
      log.info(
        {
          traceId: trace.traceId,
          method: request.method,
          path: loggedPath(request.url),
          status,
          durationMs: Math.round((performance.now() - trace.startedAt) * 100) / 100,
        },
        "request",
      );
    },
  );
}
