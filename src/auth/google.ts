import {
  ArcticFetchError,
  CodeChallengeMethod,
  OAuth2Client,
  OAuth2RequestError,
  UnexpectedErrorResponseBodyError,
  UnexpectedResponseError,
} from "arctic";
import type { Config } from "../config.ts";
import { SigningKeys, verifyIdToken } from "./id-token.ts";
import { type IdentityProvider, SignInError } from "./provider.ts";
import { reasonOf } from "../errors.ts";

export const GOOGLE_CALLBACK_PATH = "/api/auth/callback";
const SCOPES = ["openid", "email", "profile"];

/** 400/401 from the token endpoint means the code was refused (used twice, expired, forged). */
function exchangeFailure(error: unknown): SignInError {
  if (error instanceof OAuth2RequestError) return new SignInError("exchange", `token endpoint refused the code: ${error.code}`);
  if (error instanceof UnexpectedErrorResponseBodyError) return new SignInError("exchange", `token endpoint refused the code (${error.status})`);
  if (error instanceof UnexpectedResponseError) return new SignInError("unavailable", `token endpoint answered ${error.status}`);
  if (error instanceof ArcticFetchError) return new SignInError("unavailable", "token endpoint unreachable");
  return new SignInError("token", reasonOf(error));
}

/**
 * Google sign-in through arctic's generic OAuth 2.0 client, so every endpoint comes from the
 * configuration. No Google token is kept: the ID token says who the person is, and that is all
 * oO asks Google for.
 */
export function googleProvider(config: Config): IdentityProvider {
  const { clientId, clientSecret, authUrl, tokenUrl, jwksUrl } = config.google;
  const client = new OAuth2Client(clientId, clientSecret, `${config.apiBaseUrl}${GOOGLE_CALLBACK_PATH}`);
  const keys = new SigningKeys(jwksUrl);
  // Google's issuer is the origin of its authorize endpoint, written with or without the scheme.
  const authorize = new URL(authUrl);
  const issuers = [authorize.origin, authorize.host];

  return {
    name: "google",
    authorizationUrl: (state, codeVerifier) =>
      client.createAuthorizationURLWithPKCE(authUrl, state, CodeChallengeMethod.S256, codeVerifier, SCOPES),
    async identify(code, codeVerifier) {
      let idToken: string;
      try {
        idToken = (await client.validateAuthorizationCode(tokenUrl, code, codeVerifier)).idToken();
      } catch (error) {
        throw exchangeFailure(error);
      }
      const claims = await verifyIdToken(idToken, keys, { issuers, audience: clientId });
      if (claims.email_verified !== true || typeof claims.email !== "string") {
        throw new SignInError("unverified", "the Google account has no verified email address");
      }
      return { subject: claims.sub, email: claims.email, name: typeof claims.name === "string" ? claims.name : null };
    },
  };
}
