import { eq } from "drizzle-orm";
import { sealedIdentityTokens } from "../auth/queries.ts";
import type { Db } from "../db/client.ts";
import { integrations } from "../db/schema.ts";
import { type TokenVault, tokenContext, VaultError } from "./vault.ts";

export interface RotationReport {
  /** Ciphertexts re-encrypted under the current key by this run. */
  rotated: number;
  /** Ciphertexts already under the current key. */
  current: number;
  /** Ciphertexts no configured key opens (their key is missing from ENCRYPTION_KEYS_OLD); left as they are. */
  failed: number;
}

interface Sealed {
  ciphertext: string;
  context: string;
  write(next: string): void;
}

/**
 * `oo rotate-keys`: every stored provider token re-encrypted under ENCRYPTION_KEY, in one
 * transaction. Running it again changes nothing. Integration tokens and sign-in identity tokens
 * are both bound to `provider:userId`. Never returns or prints a token.
 */
export function rotateKeys(db: Db, vault: TokenVault): RotationReport {
  return db.transaction((tx) => {
    const sealed: Sealed[] = [];
    for (const row of tx.select().from(integrations).all()) {
      const context = tokenContext(row.provider, row.userId);
      sealed.push({
        ciphertext: row.accessTokenCiphertext,
        context,
        write: (next) => tx.update(integrations).set({ accessTokenCiphertext: next }).where(eq(integrations.id, row.id)).run(),
      });
      if (row.refreshTokenCiphertext) {
        sealed.push({
          ciphertext: row.refreshTokenCiphertext,
          context,
          write: (next) => tx.update(integrations).set({ refreshTokenCiphertext: next }).where(eq(integrations.id, row.id)).run(),
        });
      }
    }
    // Sign-in tokens belong to auth, which hands them over sealed (its writes join this transaction).
    for (const token of sealedIdentityTokens(db)) {
      sealed.push({ ciphertext: token.ciphertext, context: tokenContext(token.provider, token.userId), write: token.reseal });
    }
    const report: RotationReport = { rotated: 0, current: 0, failed: 0 };
    for (const item of sealed) {
      try {
        if (!vault.needsRotation(item.ciphertext)) {
          report.current++;
          continue;
        }
        item.write(vault.reencrypt(item.ciphertext, item.context));
        report.rotated++;
      } catch (error) {
        if (!(error instanceof VaultError)) throw error;
        report.failed++;
      }
    }
    return report;
  });
}
