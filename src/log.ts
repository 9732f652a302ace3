import pino, { type DestinationStream, type Logger } from "pino";
import type { LogLevel } from "./config.ts";

export type { Logger };

/**
 * NDJSON to stdout. No transports: they start worker threads, which cannot load inside the
 * compiled executable; pipe through pino-pretty in development instead.
 */
export function createLogger(level: LogLevel, destination: DestinationStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }), log: maskSecrets },
    },
    destination,
  );
}

/**
 * Standard output for the log. While serving, lines go out in writes of about 4 KB, and at least
 * every 100 ms: a write per line cost a thread-pool round trip per request, about 5 % of the CPU a
 * recommendation takes. A one-shot command writes each line as it comes, in order with what it prints.
 */
export function stdout({ batched }: { batched: boolean }): DestinationStream {
  return batched ? pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 100 }) : pino.destination({ dest: 1, sync: true });
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
  const stream = (log as unknown as Record<symbol, NodeJS.WritableStream>)[pino.symbols.streamSym]!;
  return new Promise((resolve) => {
    stream.once("close", () => resolve());
    stream.end();
  });
}
