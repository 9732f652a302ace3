import type { Logger } from "../log.ts";
import { reasonOf } from "../errors.ts";
import { SECOND_MS } from "../time.ts";

/** Revokes what a module holds at a provider for this person (e.g. an OAuth grant). */
export type AccountDeletionHook = (userId: string) => Promise<void> | void;

const HOOK_TIMEOUT_MS = 10 * SECOND_MS;

/**
 * Modules register what must happen outside oO when an account is erased. Hooks run before the
 * rows go (they may need a stored token), each best-effort: a provider that is down must not keep
 * a person from leaving.
 */
export class AccountDeletionHooks {
  private readonly hooks = new Map<string, AccountDeletionHook>();

  register(name: string, hook: AccountDeletionHook): void {
    if (this.hooks.has(name)) throw new Error(`account deletion hook ${name} is already registered`);
    this.hooks.set(name, hook);
  }

  async run(userId: string, log: Logger): Promise<void> {
    for (const [name, hook] of this.hooks) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${HOOK_TIMEOUT_MS / 1000} s`)), HOOK_TIMEOUT_MS);
      });
      try {
        await Promise.race([Promise.resolve().then(() => hook(userId)), timeout]);
      } catch (error) {
        // The reason only: a hook's arguments and results may hold a provider token.
        log.warn({ hook: name, userId, reason: reasonOf(error) }, "account deletion hook failed; deleting anyway");
      } finally {
        clearTimeout(timer);
      }
    }
  }
}

