/**
 * At this many tracked keys, forgotten ones are swept, then the least recently failed dropped
 * down to `KEEP_AFTER_SWEEP`, so a sweep runs once per thousand new keys at most.
 */
const MAX_KEYS = 10_000;
const KEEP_AFTER_SWEEP = 9_000;

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface BackoffPolicy {
  /** Failures a key may make before it has to wait (the last of them starts the first wait). */
  freeFailures: number;
  /** The wait after the first failure past the free ones; it doubles with each further failure. */
  firstDelayMs: number;
  /** The longest wait. A key quiet for this long after its wait ended starts afresh. */
  maxDelayMs: number;
  /** Failures answered normally across all keys per window, however many keys make them. */
  globalFailures: number;
  globalWindowMs: number;
}

interface KeyState {
  failures: number;
  waitUntil: number;
}

/**
 * Failures at a secret (wrong guesses), in memory, for one process: exponential back-off per key
 * (the client address) and a ceiling on failures across all keys per window, so a guesser with
 * many addresses is bounded too. Only failures count: the caller reports a success with
 * `succeeded`, which clears the key, and never asks before trying the secret, so the right secret
 * always works, whatever the limiter says about wrong ones.
 */
export class FailureLimiter {
  private readonly keys = new Map<string, KeyState>();
  private window = { startedAt: Number.NEGATIVE_INFINITY, failures: 0 };

  constructor(
    private readonly policy: BackoffPolicy,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * Records a failure for `key` and says whether it came while the key, or everyone, had been told
   * to wait. A failure while waiting counts too, so a guesser that ignores `Retry-After` waits longer.
   */
  failed(key: string): RateDecision {
    const now = this.clock();
    const { freeFailures, firstDelayMs, maxDelayMs, globalFailures, globalWindowMs } = this.policy;
    if (now - this.window.startedAt >= globalWindowMs) this.window = { startedAt: now, failures: 0 };
    const globalWait = this.window.failures >= globalFailures ? this.window.startedAt + globalWindowMs - now : 0;
    this.window.failures++;

    const state = this.current(key, now) ?? { failures: 0, waitUntil: now };
    const keyWait = state.waitUntil - now;
    state.failures++;
    const past = state.failures - freeFailures;
    state.waitUntil = past >= 0 ? now + Math.min(maxDelayMs, firstDelayMs * 2 ** past) : now;
    this.remember(key, state, now);

    if (keyWait <= 0 && globalWait <= 0) return { allowed: true };
    const waitMs = Math.max(globalWait, state.waitUntil - now);
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
  }

  /** A success: the key's failures are forgotten (the global window keeps its count). */
  succeeded(key: string) {
    this.keys.delete(key);
  }

  /** The key's state, unless it has been quiet long enough to start afresh. */
  private current(key: string, now: number): KeyState | undefined {
    const state = this.keys.get(key);
    return state && !this.forgotten(state, now) ? state : undefined;
  }

  private forgotten(state: KeyState, now: number) {
    return now - state.waitUntil >= this.policy.maxDelayMs;
  }

  /** Re-inserted so the map's order is least recently failed first. */
  private remember(key: string, state: KeyState, now: number) {
    this.keys.delete(key);
    if (this.keys.size >= MAX_KEYS) {
      for (const [other, otherState] of this.keys) if (this.forgotten(otherState, now)) this.keys.delete(other);
      for (const other of this.keys.keys()) {
        if (this.keys.size <= KEEP_AFTER_SWEEP) break;
        this.keys.delete(other);
      }
    }
    this.keys.set(key, state);
  }
}
