import { Elysia } from "elysia";
import type { Logger } from "../log.ts";

export interface Trace {
  traceId: string;
  /** The header to send on outbound calls made while serving this request. */
  traceparent: string;
  startedAt: number;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const traces = new WeakMap<Request, Trace>();

function randomHex(bytes: number): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("hex");
}

/** W3C trace context: keep a valid incoming trace id, otherwise start a new trace. Always a new span id. */
export function continueTrace(header: string | null): Pick<Trace, "traceId" | "traceparent"> {
  const match = header ? TRACEPARENT.exec(header.trim()) : null;
  const valid =
    match && match[1] !== "ff" && !/^0+$/.test(match[2]!) && !/^0+$/.test(match[3]!);
  const traceId = valid ? match[2]! : randomHex(16);
  const flags = valid ? match[4]! : "01";
  return { traceId, traceparent: `00-${traceId}-${randomHex(8)}-${flags}` };
}

/** The trace of a request; created on first use so every hook and handler sees the same one. */
export function requestTrace(request: Request): Trace {
  let trace = traces.get(request);
  if (!trace) {
    trace = { ...continueTrace(request.headers.get("traceparent")), startedAt: performance.now() };
    traces.set(request, trace);
  }
  return trace;
}

/** Echoes `traceparent` on every response and gives handlers `traceId`, `traceparent` and a child logger. */
export function tracing(log: Logger) {
  return new Elysia({ name: "http.tracing" })
    .onRequest(({ request, set }) => {
      set.headers.traceparent = requestTrace(request).traceparent;
    })
    .derive({ as: "global" }, ({ request }) => {
      const { traceId, traceparent } = requestTrace(request);
      return { traceId, traceparent, log: log.child({ traceId }) };
    });
}

const SENSITIVE_QUERY = /^\/api\/(auth|integrations)\//;

/** The path as logged: OAuth `code` and `state` live in these query strings, so they are dropped. */
export function loggedPath(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  const pathAndQuery = start === -1 ? "/" : url.slice(start);
  const queryAt = pathAndQuery.indexOf("?");
  if (queryAt === -1) return pathAndQuery;
  const path = pathAndQuery.slice(0, queryAt);
  return SENSITIVE_QUERY.test(path) ? `${path}?[redacted]` : pathAndQuery;
}

/** One line per request: method, path, status, duration, trace id. Never headers, so never cookies. */
export function requestLog(log: Logger, skip: (path: string) => boolean) {
  return new Elysia({ name: "http.request-log" }).onAfterResponse(
    { as: "global" },
    ({ request, path, set, responseValue }) => {
      if (skip(path)) return;
      const trace = requestTrace(request);
      const status = responseValue instanceof Response ? responseValue.status : Number(set.status ?? 200);
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
