import { HOUR_MS, MINUTE_MS } from "../time.ts";
import { SignInError } from "./provider.ts";

/**
 * OpenID Connect ID-token verification with the provider's published keys (JWKS): RS256 signature,
 * issuer, audience, expiry. The code exchange already ran over TLS with the client secret; checking
 * the signature as well means a token is trusted for what it says, not for where it came from.
 */
export interface IdTokenClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  nbf?: number;
  email?: string;
  email_verified?: boolean;
  name?: string;
}

export interface IdTokenExpectations {
  /** Accepted `iss` values (Google uses both `https://accounts.google.com` and `accounts.google.com`). */
  issuers: string[];
  /** The OAuth client id: a token minted for another client is not for us. */
  audience: string;
}

/** Clock difference tolerated between us and the provider. */
const CLOCK_SKEW_S = 60;
const KEYS_MAX_AGE_MS = HOUR_MS;
/** An unknown key id refetches the set, but not more often than this (rotation is rare). */
const UNKNOWN_KEY_REFETCH_MS = MINUTE_MS;

type RsaJwk = JsonWebKey & { kid?: string };

/** The provider's signing keys, fetched on first use and kept for an hour. */
export class SigningKeys {
  private keys = new Map<string, CryptoKey>();
  private fetchedAt = 0;

  constructor(private readonly url: string) {}

  async find(kid: string, now = Date.now()): Promise<CryptoKey | undefined> {
    const stale = now - this.fetchedAt > KEYS_MAX_AGE_MS;
    const unknownAndRefetchable = !this.keys.has(kid) && now - this.fetchedAt > UNKNOWN_KEY_REFETCH_MS;
    if (stale || unknownAndRefetchable) await this.refresh(now);
    return this.keys.get(kid);
  }

  private async refresh(now: number) {
    let body: { keys?: RsaJwk[] };
    try {
      const response = await fetch(this.url, { signal: AbortSignal.timeout(5000) });
      if (!response.ok) throw new Error(`status ${response.status}`);
      body = (await response.json()) as { keys?: RsaJwk[] };
    } catch (error) {
      throw new SignInError("unavailable", `signing keys could not be fetched: ${error instanceof Error ? error.message : error}`);
    }
    const keys = new Map<string, CryptoKey>();
    for (const jwk of body.keys ?? []) {
      if (jwk.kty !== "RSA" || !jwk.kid || (jwk.alg && jwk.alg !== "RS256")) continue;
      const { kid, ...material } = jwk;
      keys.set(kid, await crypto.subtle.importKey("jwk", material, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["verify"]));
    }
    this.keys = keys;
    this.fetchedAt = now;
  }
}

const invalid = (detail: string) => new SignInError("token", `ID token refused: ${detail}`);

function decodePart<T>(part: string | undefined): T {
  try {
    return JSON.parse(Buffer.from(part ?? "", "base64url").toString("utf8")) as T;
  } catch {
    throw invalid("not a JWT");
  }
}

export async function verifyIdToken(jwt: string, keys: SigningKeys, expected: IdTokenExpectations, now = Date.now()): Promise<IdTokenClaims> {
  const parts = jwt.split(".");
  if (parts.length !== 3) throw invalid("not a JWT");
  const [encodedHeader, encodedPayload, encodedSignature] = parts as [string, string, string];
  const header = decodePart<{ alg?: string; kid?: string }>(encodedHeader);
  if (header.alg !== "RS256" || !header.kid) throw invalid(`unsupported algorithm ${header.alg}`);
  const key = await keys.find(header.kid, now);
  if (!key) throw invalid("signed with an unknown key");
  const signed = new TextEncoder().encode(`${encodedHeader}.${encodedPayload}`);
  const signature = Buffer.from(encodedSignature, "base64url");
  if (!(await crypto.subtle.verify("RSASSA-PKCS1-v1_5", key, signature, signed))) throw invalid("bad signature");

  const claims = decodePart<IdTokenClaims>(encodedPayload);
  const seconds = now / 1000;
  if (!expected.issuers.includes(claims.iss)) throw invalid(`issuer ${claims.iss}`);
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.includes(expected.audience)) throw invalid("minted for another client");
  if (typeof claims.exp !== "number" || claims.exp + CLOCK_SKEW_S < seconds) throw invalid("expired");
  if (typeof claims.nbf === "number" && claims.nbf - CLOCK_SKEW_S > seconds) throw invalid("not valid yet");
  if (typeof claims.sub !== "string" || claims.sub === "") throw invalid("no subject");
  return claims;
}
