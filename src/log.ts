import pino, { type DestinationStream, type Logger } from "pino";
import type { LogLevel } from "./config.ts";

export type { Logger };

/**
 * NDJSON to stdout. No transports: they start worker threads, which cannot load inside the
 * compiled executable; pipe through pino-pretty in development instead.
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Belt and braces: nothing should log these, and if something does they are masked.
      redact: {
        paths: ["*.cookie", "*.authorization", "*.token", "*.accessToken", "*.refreshToken", "*.password", "*.secret"],
        censor: "[redacted]",
      },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
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
