import { and, eq, isNotNull } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { identities } from "../db/schema.ts";

/** A provider token stored sealed in `identities`, with the context it is bound to and how to replace it. */
export interface SealedIdentityToken {
  ciphertext: string;
  provider: string;
  userId: string;
  /** Stores a re-encrypted ciphertext in place of this one. */
  reseal(next: string): void;
}

/** Every sealed sign-in token, for `oo rotate-keys` (run inside the caller's transaction). */
export function sealedIdentityTokens(db: Db): SealedIdentityToken[] {
  return db
    .select()
    .from(identities)
    .where(isNotNull(identities.tokenCiphertext))
    .all()
    .map((row) => ({
      ciphertext: row.tokenCiphertext!,
      provider: row.provider,
      userId: row.userId,
      reseal: (next) =>
        db
          .update(identities)
          .set({ tokenCiphertext: next })
          .where(and(eq(identities.provider, row.provider), eq(identities.subject, row.subject)))
          .run(),
    }));
}
