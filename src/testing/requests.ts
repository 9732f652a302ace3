import type { TestContext } from "./harness.ts";

/** Every row of every table, for "nothing was written": compare before and after. */
export function rowCounts(context: TestContext): Record<string, number> {
  const { sqlite } = context.database;
  const tables = sqlite.query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all();
  return Object.fromEntries(tables.map(({ name }) => [name, sqlite.query<{ n: number }, []>(`SELECT count(*) AS n FROM "${name}"`).get()!.n]));
}

/** A body of `bytes` spaces sent in chunks with no Content-Length, as a client streaming it would. */
export function chunked(bytes: number, chunk = 16 * 1024): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= bytes) return controller.close();
      const size = Math.min(chunk, bytes - sent);
      sent += size;
      controller.enqueue(new Uint8Array(size).fill(0x20));
    },
  });
}

/**
 * A settings section's values as the console's Settings form sends them: numbers and choices as
 * text, a value inside an object as `key.inner`, a ticked box of a multiple choice as `key.option=on`.
 */
export function settingsForm(values: Record<string, unknown>, prefix = ""): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).flatMap(([key, value]) => {
      const name = `${prefix}${key}`;
      if (Array.isArray(value)) return value.map((option) => [`${name}.${option}`, "on"]);
      if (value && typeof value === "object") return Object.entries(settingsForm(value as Record<string, unknown>, `${name}.`));
      return [[name, String(value)]];
    }),
  );
}
