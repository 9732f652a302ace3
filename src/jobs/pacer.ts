/** Lets the event loop poll sockets (requests waiting on this thread) before continuing. */
export const yieldToServer = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Paces a long batch (a full sync) on the thread it shares with request handling. JSON parsing and
 * SQLite writes cannot leave this thread, so units of work (users) start no closer than
 * `spacingMs` apart (which bounds the answers arriving to be parsed), and the work on each answer
 * runs one step at a time, after the loop has polled its sockets, spaced so that the steps take at
 * most `share` of the time (a step that met a WAL checkpoint is followed by a longer pause).
 * Spacing is a ceiling: when the provider answers slowly, the caller's concurrency limit binds first.
 */
export class Pacer {
  private tail: Promise<unknown> = Promise.resolve();
  private next = 0;
  private nextStart = 0;

  constructor(
    private readonly share: number,
    private readonly spacingMs: number,
  ) {}

  /** Resolves when the next unit may start. */
  async admit(): Promise<void> {
    const now = performance.now();
    const at = Math.max(now, this.nextStart);
    this.nextStart = at + this.spacingMs;
    if (at > now) await Bun.sleep(at - now);
  }

  /** Runs one step after the steps before it, once the loop has polled and the share allows. */
  run<T>(step: () => T): Promise<T> {
    const result = this.tail.then(async () => {
      const wait = this.next - performance.now();
      await (wait >= 1 ? Bun.sleep(wait) : yieldToServer());
      const started = performance.now();
      try {
        return step();
      } finally {
        const ended = performance.now();
        this.next = ended + (ended - started) * (1 / this.share - 1);
      }
    });
    this.tail = result.catch(() => undefined);
    return result;
  }
}
