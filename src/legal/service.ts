import { and, eq } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { consents } from "../db/schema.ts";

/** The version of the terms and privacy notice now in force; bump it when their text changes. */
export const LEGAL_VERSION = "2026-11";
const DOCUMENTS = ["terms", "privacy"] as const;

/**
 * Signing in (the pages say so next to the button) accepts the terms and privacy notice in force.
 * One row per document and version, so a returning person is not recorded again.
 */
export function recordImplicitConsent(db: Db, userId: string, now = Date.now()): void {
  for (const kind of DOCUMENTS) {
    const known = db
      .select({ id: consents.id })
      .from(consents)
      .where(and(eq(consents.userId, userId), eq(consents.kind, kind), eq(consents.version, LEGAL_VERSION)))
      .get();
    if (!known) db.insert(consents).values({ userId, kind, version: LEGAL_VERSION, method: "implicit_signin", grantedAt: now }).run();
  }
}

/** The consents a person gave, oldest first (the console's user page). */
export function consentsOf(db: Db, userId: string) {
  return db
    .select({ kind: consents.kind, version: consents.version, method: consents.method, grantedAt: consents.grantedAt })
    .from(consents)
    .where(eq(consents.userId, userId))
    .orderBy(consents.grantedAt)
    .all();
}
