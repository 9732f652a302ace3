/**
 * What sign-in needs from an identity provider. Google (src/auth/google.ts) is the one
 * implementation; replacing its OAuth library means rewriting that file only.
 */
export interface IdentityProvider {
  /** Stored in `identities.provider`. */
  readonly name: string;
  /** Where to send the browser for this attempt (authorization code flow with PKCE S256). */
  authorizationUrl(state: string, codeVerifier: string): URL;
  /** Exchanges the code and returns the verified person, or throws a `SignInError`. */
  identify(code: string, codeVerifier: string): Promise<VerifiedIdentity>;
}

export interface VerifiedIdentity {
  /** The provider's stable account id (`sub`); emails change, this does not. */
  subject: string;
  email: string;
  name: string | null;
}

/** Why a sign-in attempt failed; `/signin?error=<reason>` turns it into a sentence. */
export type SignInFailure = "denied" | "state" | "exchange" | "token" | "unverified" | "unavailable";

export class SignInError extends Error {
  constructor(
    readonly reason: SignInFailure,
    detail: string,
  ) {
    super(detail);
  }
}
