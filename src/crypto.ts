/**
 * Hashes, MACs, comparisons and random bytes from Bun's native hasher and Web Crypto. Loading
 * `node:crypto` takes about 8 ms, which every start of `oo` would pay; the two callers that need it
 * (AES-GCM in the token vault, key generation on a first boot) load it on first use.
 */

export const sha256 = (value: string | Uint8Array): Buffer => new Bun.CryptoHasher("sha256").update(value).digest();

export const hmacSha256 = (key: string, value: string | Uint8Array): Buffer => new Bun.CryptoHasher("sha256", key).update(value).digest();

export const randomBytes = (length: number): Buffer => crypto.getRandomValues(Buffer.alloc(length));

/** Constant time; the two sides must be the same length (hash them first when they may not be). */
export const timingSafeEqual = (a: Uint8Array, b: Uint8Array): boolean => crypto.timingSafeEqual(a, b);

let loaded: typeof import("node:crypto") | null = null;

/** `node:crypto`, loaded the first time something needs it. */
export const nodeCrypto = (): typeof import("node:crypto") => (loaded ??= require("node:crypto") as typeof import("node:crypto"));
