import { describe, expect, test } from "bun:test";
import { MINUTE_MS, SECOND_MS } from "../time.ts";
import { type BackoffPolicy, FailureLimiter } from "./rate-limit.ts";

const policy: BackoffPolicy = { freeFailures: 5, firstDelayMs: SECOND_MS, maxDelayMs: 15 * MINUTE_MS, globalFailures: 100, globalWindowMs: MINUTE_MS };

function limiterAt(start: number, overrides: Partial<BackoffPolicy> = {}) {
  const clock = { now: start };
  return { clock, limiter: new FailureLimiter({ ...policy, ...overrides }, () => clock.now) };
}

describe("FailureLimiter", () => {
  test("five free failures, then a wait that doubles with each further one, capped", () => {
    const { clock, limiter } = limiterAt(1_000_000);
    for (let failure = 0; failure < 5; failure++) expect(limiter.failed("a")).toEqual({ allowed: true });
    // The fifth failure started a 1 s wait: one more now is refused, and counts (2 s from now).
    expect(limiter.failed("a")).toEqual({ allowed: false, retryAfterSeconds: 2 });
    clock.now += 2 * SECOND_MS;
    expect(limiter.failed("a")).toEqual({ allowed: true }); // the 7th: 4 s
    clock.now += 3 * SECOND_MS;
    expect(limiter.failed("a")).toEqual({ allowed: false, retryAfterSeconds: 8 });
    // Each further failure doubles the wait until it reaches 15 minutes.
    for (let failure = 0; failure < 20; failure++) limiter.failed("a");
    expect(limiter.failed("a")).toEqual({ allowed: false, retryAfterSeconds: 15 * 60 });
    // Another key is not affected.
    expect(limiter.failed("b")).toEqual({ allowed: true });
  });

  test("a success forgets the key's failures; so does a long quiet spell", () => {
    const { clock, limiter } = limiterAt(1_000_000);
    for (let failure = 0; failure < 5; failure++) limiter.failed("a");
    limiter.succeeded("a");
    for (let failure = 0; failure < 5; failure++) expect(limiter.failed("a").allowed).toBe(true);
    expect(limiter.failed("a").allowed).toBe(false);

    clock.now += 15 * MINUTE_MS + 2 * SECOND_MS;
    for (let failure = 0; failure < 5; failure++) expect(limiter.failed("a").allowed).toBe(true);
  });

  test("a ceiling on failures from all keys together, per window", () => {
    const { clock, limiter } = limiterAt(1_000_000, { globalFailures: 10 });
    for (let key = 0; key < 10; key++) expect(limiter.failed(`key-${key}`)).toEqual({ allowed: true });
    clock.now += 15 * SECOND_MS;
    expect(limiter.failed("fresh")).toEqual({ allowed: false, retryAfterSeconds: 45 });
    clock.now += 45 * SECOND_MS;
    expect(limiter.failed("another")).toEqual({ allowed: true });
  });

  test("tracks a bounded number of keys", () => {
    const { clock, limiter } = limiterAt(1_000_000, { globalFailures: Number.MAX_SAFE_INTEGER });
    for (let failure = 0; failure < 6; failure++) limiter.failed("first");
    expect(limiter.failed("first").allowed).toBe(false);
    for (let key = 0; key < 10_000; key++) limiter.failed(`key-${key}`);
    // The least recently failed key made room for the others.
    expect(limiter.failed("first")).toEqual({ allowed: true });
  });
});
