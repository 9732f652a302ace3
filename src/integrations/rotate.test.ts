import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { identities, integrations, users } from "../db/schema.ts";
import { migratedDatabase, tempDir } from "../testing/harness.ts";
import { TokenVault, tokenContext } from "./vault.ts";

const MAIN = join(import.meta.dir, "..", "main.ts");
const OLD_KEY = Buffer.alloc(32, 11).toString("hex");
const NEW_KEY = Buffer.alloc(32, 12).toString("base64");
const OTHER_KEY = Buffer.alloc(32, 13).toString("base64");
const SECRETS = { access: "todoist-access-0123456789abcdef", refresh: "todoist-refresh-0123456789abcdef", google: "google-refresh-0123456789abcdef" };

function oo(args: string[], env: Record<string, string>) {
  const result = Bun.spawnSync(["bun", MAIN, ...args], { env: { PATH: process.env.PATH!, LOG_LEVEL: "warn", ...env }, stdout: "pipe", stderr: "pipe" });
  return { code: result.exitCode, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

/** A database file with one user's Todoist grant and Google token sealed under OLD_KEY. */
function seed(path: string) {
  const database = migratedDatabase(path);
  const old = new TokenVault({ encryptionKey: OLD_KEY, encryptionKeysOld: [] });
  const now = Date.now();
  database.db.insert(users).values({ id: "u1", createdAt: now, updatedAt: now }).run();
  const context = tokenContext("todoist", "u1");
  database.db
    .insert(integrations)
    .values({
      userId: "u1",
      provider: "todoist",
      status: "connected",
      accessTokenCiphertext: old.encrypt(SECRETS.access, context),
      refreshTokenCiphertext: old.encrypt(SECRETS.refresh, context),
      createdAt: now,
      updatedAt: now,
    })
    .run();
  database.db
    .insert(identities)
    .values({ provider: "google", subject: "g1", userId: "u1", tokenCiphertext: old.encrypt(SECRETS.google, tokenContext("google", "u1")), createdAt: now, lastSignInAt: now })
    .run();
  database.close();
}

function sealed(path: string) {
  const database = migratedDatabase(path);
  const row = database.db.select().from(integrations).get()!;
  const identity = database.db.select().from(identities).get()!;
  database.close();
  return [
    { ciphertext: row.accessTokenCiphertext, context: tokenContext("todoist", "u1"), plain: SECRETS.access },
    { ciphertext: row.refreshTokenCiphertext!, context: tokenContext("todoist", "u1"), plain: SECRETS.refresh },
    { ciphertext: identity.tokenCiphertext!, context: tokenContext("google", "u1"), plain: SECRETS.google },
  ];
}

describe("oo rotate-keys", () => {
  test("re-encrypts every token under the new key, prints counts only, and a second run changes nothing", () => {
    const dir = tempDir();
    try {
      const path = join(dir.path, "oo.db");
      seed(path);
      const env = { DATA_DIR: dir.path, DATABASE_PATH: path, ENCRYPTION_KEY: NEW_KEY, ENCRYPTION_KEYS_OLD: OLD_KEY };
      const help = oo(["--help"], env);
      expect(help.stdout).toContain("oo rotate-keys");

      const first = oo(["rotate-keys"], env);
      expect(first.code).toBe(0);
      const keyId = new TokenVault({ encryptionKey: NEW_KEY, encryptionKeysOld: [] }).currentKeyId;
      expect(first.stdout).toBe(`re-encrypted 3 token(s) under key ${keyId}; 0 already under it\n`);
      for (const secret of Object.values(SECRETS)) expect(first.stdout + first.stderr).not.toContain(secret);

      // The new key alone opens them all now; nothing is left under the old one.
      const fresh = new TokenVault({ encryptionKey: NEW_KEY, encryptionKeysOld: [] });
      for (const token of sealed(path)) {
        expect(fresh.needsRotation(token.ciphertext)).toBe(false);
        expect(fresh.decrypt(token.ciphertext, token.context)).toBe(token.plain);
      }

      const again = oo(["rotate-keys"], env);
      expect(again.code).toBe(0);
      expect(again.stdout).toBe(`re-encrypted 0 token(s) under key ${keyId}; 3 already under it\n`);
    } finally {
      dir.cleanup();
    }
  });

  test("a token under a key that is not configured is left alone and the command exits 1", () => {
    const dir = tempDir();
    try {
      const path = join(dir.path, "oo.db");
      seed(path);
      const before = sealed(path).map((token) => token.ciphertext);
      const run = oo(["rotate-keys"], { DATA_DIR: dir.path, DATABASE_PATH: path, ENCRYPTION_KEY: OTHER_KEY });
      expect(run.code).toBe(1);
      expect(run.stdout).toContain("re-encrypted 0 token(s)");
      expect(run.stderr).toContain("3 token(s) did not open with any configured key; add their key to ENCRYPTION_KEYS_OLD");
      expect(sealed(path).map((token) => token.ciphertext)).toEqual(before);
    } finally {
      dir.cleanup();
    }
  });
});
