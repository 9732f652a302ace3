import type { Logger } from "../log.ts";
import { reasonOf } from "../errors.ts";

/**
 * Work started from a request but not awaited by it (a sync after a connect, a close after a
 * "done", a reward after a webhook). Failures are logged, never thrown at nobody; `close` aborts
 * what is in flight and waits for it, so shutdown and tests leave nothing running.
 */
export class Background {
  private readonly running = new Set<Promise<void>>();
  private readonly controller = new AbortController();

  constructor(private readonly log: Logger) {}

  /** Aborted once `close` is called; pass it to outbound calls. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  run(name: string, work: () => Promise<unknown>, fields: Record<string, unknown> = {}): void {
    if (this.controller.signal.aborted) return;
    const task: Promise<void> = Promise.resolve()
      .then(work)
      .then(
        () => undefined,
        (error: unknown) => {
          if (this.controller.signal.aborted) return;
          // The reason only: errors here come from provider calls, whose messages name no token.
          this.log.warn({ ...fields, task: name, reason: reasonOf(error) }, "background work failed");
        },
      )
      .finally(() => this.running.delete(task));
    this.running.add(task);
  }

  /** Resolves when everything started so far (and anything it started) has finished. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
  }

  async close(): Promise<void> {
    this.controller.abort();
    await this.idle();
  }
}
