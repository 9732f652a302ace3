import type { Logger } from "./log.ts";

/** W3C trace context, for requests and for work that outlives them (jobs, outbox deliveries, background calls). */
export interface Trace {
  traceId: string;
  /** The header to send on outbound calls made while serving this request. */
  traceparent: string;
  startedAt: number;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

const ALL_ZERO = /^0+$/;
const pool = Buffer.allocUnsafe(24 * 1024);
let poolOffset = pool.length;

/** 24 random bytes as hex, from a pooled buffer refilled once per 1,024 requests. */
function randomIds(): string {
  if (poolOffset === pool.length) {
    crypto.getRandomValues(pool);
    poolOffset = 0;
  }
  poolOffset += 24;
  return pool.toString("hex", poolOffset - 24, poolOffset);
}

/** W3C trace context: keep a valid incoming trace id, otherwise start a new trace. Always a new span id. */
export function continueTrace(header: string | null, startedAt = performance.now()): Trace {
  // One random draw covers both ids: 16 bytes of trace id, 8 of span id.
  const random = randomIds();
  const match = header ? TRACEPARENT.exec(header.trim()) : null;
  if (match && match[1] !== "ff" && !ALL_ZERO.test(match[2]!) && !ALL_ZERO.test(match[3]!)) {
    return { traceId: match[2]!, traceparent: `00-${match[2]}-${random.slice(32)}-${match[4]}`, startedAt };
  }
  const traceId = random.slice(0, 32);
  return { traceId, traceparent: `00-${traceId}-${random.slice(32)}-01`, startedAt };
}

/** The trace id inside a `traceparent` header value (for log lines written away from the request). */
export const traceIdOf = (traceparent: string | undefined): string | undefined => traceparent?.split("-")[1];

type Fields = Record<string, unknown>;

/**
 * A logger that stamps a trace id on each line. Cheaper than `pino.child` per request,
 * which costs a fifth of the throughput of a trivial route.
 */
export class TracedLogger {
  constructor(
    private readonly base: Logger,
    readonly traceId: string,
  ) {}
  debug(fields: Fields, message: string) {
    this.base.debug({ traceId: this.traceId, ...fields }, message);
  }
  info(fields: Fields, message: string) {
    this.base.info({ traceId: this.traceId, ...fields }, message);
  }
  warn(fields: Fields, message: string) {
    this.base.warn({ traceId: this.traceId, ...fields }, message);
  }
  error(fields: Fields, message: string) {
    this.base.error({ traceId: this.traceId, ...fields }, message);
  }
}

