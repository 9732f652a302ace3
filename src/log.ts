import pino, { type DestinationStream, type Logger } from "pino";
import type { LogLevel } from "./config.ts";

export type { Logger };

/**
 * NDJSON to stdout. No transports: they start worker threads, which cannot load inside the
 * compiled executable; pipe through pino-pretty in development instead.
 */
export function createLogger(level: LogLevel, destination: DestinationStream): Logger {
  const ring = new ProblemLines();
  const log = pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }), log: maskSecrets },
    },
    pino.multistream([
      { level, stream: destination },
      { level: "warn", stream: ring },
    ]),
  );
  streams.set(log, { ring, destination });
  return log;
}

/** The last warn and error lines as written (secrets masked as in the stream), for the console. */
export class ProblemLines {
  static readonly SIZE = 500;
  private readonly lines: string[] = [];

  write(line: string) {
    this.lines.push(line);
    if (this.lines.length > ProblemLines.SIZE) this.lines.shift();
  }

  /** Newest first. */
  recent(): Record<string, unknown>[] {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>).reverse();
  }
}

/** What each logger made by `createLogger` writes to: its destination, and the ring of problems. */
const streams = new WeakMap<Logger, { ring: ProblemLines; destination: DestinationStream }>();

/** The recent problems of a logger made by `createLogger` (its children write to the same). */
export const problemsOf = (log: Logger): ProblemLines => streams.get(log)!.ring;

/**
 * Where the log goes. The server's is standard output, in writes of about 4 KB and at least every
 * 100 ms: a write per line cost a thread-pool round trip per request, about 5 % of the CPU a
 * recommendation takes. A one-shot command's is standard error, each line as it comes, so its
 * standard output is its answer alone (one JSON document for `oo ope`).
 */
export function logDestination(serving: boolean): DestinationStream {
  return serving ? pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 100 }) : pino.destination({ dest: 2, sync: true });
}

/** Field names whose values never reach a log line, at the top level or one object down. */
const SECRET_FIELDS = new Set(["cookie", "authorization", "token", "accessToken", "refreshToken", "password", "secret"]);
export const MASKED = "[redacted]";

/**
 * Belt and braces: nothing should log these, and if something does they are masked. pino's own
 * `redact` re-parses its path list on every line, which cost more than the rest of a request's
 * log line; this looks at the few keys a line has and copies only what it masks.
 */
function maskSecrets(object: Record<string, unknown>, depth = 1): Record<string, unknown> {
  let masked: Record<string, unknown> | null = null;
  for (const key in object) {
    const value = object[key];
    const nested = depth > 0 && value !== null && typeof value === "object" && !Array.isArray(value) && !(value instanceof Error);
    const replacement = SECRET_FIELDS.has(key) ? MASKED : nested ? maskSecrets(value as Record<string, unknown>, depth - 1) : value;
    if (replacement !== value) (masked ??= { ...object })[key] = replacement;
  }
  return masked ?? object;
}

/**
 * Resolves once every line logged so far is written, then the destination is closed (stdout itself
 * stays open). Call it last before `process.exit`: the async destination's own exit hook skips a
 * write still in flight, which loses the final lines.
 */
export function closeLogger(log: Logger): Promise<void> {
  const stream = streams.get(log)!.destination as unknown as NodeJS.WritableStream;
  return new Promise((resolve) => {
    stream.once("close", () => resolve());
    stream.end();
  });
}
