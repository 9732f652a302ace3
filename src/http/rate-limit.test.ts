import { describe, expect, test } from "bun:test";
import { RateLimiter } from "./rate-limit.ts";

describe("RateLimiter", () => {
  test("allows the limit per key and window, says when to come back, then starts afresh", () => {
    const limiter = new RateLimiter(3, 60_000);
    const start = 1_000_000;
    for (let attempt = 0; attempt < 3; attempt++) expect(limiter.take("a", start + attempt).allowed).toBe(true);
    expect(limiter.take("a", start + 15_000)).toEqual({ allowed: false, retryAfterSeconds: 45 });
    expect(limiter.take("b", start + 15_000).allowed).toBe(true);
    expect(limiter.take("a", start + 60_000).allowed).toBe(true);
  });
});
