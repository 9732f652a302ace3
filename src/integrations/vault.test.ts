import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { TEST_KEY, testConfig } from "../testing/harness.ts";
import { TokenVault, tokenContext, VaultError } from "./vault.ts";

const OLD_KEY = Buffer.alloc(32, 1).toString("hex");
const NEW_KEY = Buffer.alloc(32, 2).toString("base64url");
const TOKEN = "0123456789abcdef0123456789abcdef01234567";
const ALICE = tokenContext("todoist", "alice");
const BOB = tokenContext("todoist", "bob");

const vaultWith = (encryptionKey: string, encryptionKeysOld: string[] = []) => new TokenVault({ encryptionKey, encryptionKeysOld });
const keyId = (hexOrBase64: string) => createHash("sha256").update(Buffer.from(hexOrBase64, /^[0-9a-f]{64}$/.test(hexOrBase64) ? "hex" : "base64")).digest("hex").slice(0, 8);

function errorOf(run: () => unknown): VaultError {
  try {
    run();
  } catch (error) {
    if (error instanceof VaultError) return error;
    throw error;
  }
  throw new Error("expected a VaultError");
}

describe("TokenVault", () => {
  test("round trip under the configured key, in the documented format", () => {
    const vault = new TokenVault(testConfig());
    const sealed = vault.encrypt(TOKEN, ALICE);
    expect(sealed).toMatch(/^v1\.[0-9a-f]{8}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(sealed.split(".")[1]).toBe(keyId(TEST_KEY));
    expect(vault.currentKeyId).toBe(keyId(TEST_KEY));
    expect(sealed).not.toContain(TOKEN);
    expect(vault.decrypt(sealed, ALICE)).toBe(TOKEN);
    expect(vault.decrypt(vault.encrypt("", ALICE), ALICE)).toBe("");
    expect(vault.decrypt(vault.encrypt("jeton ✓", ALICE), ALICE)).toBe("jeton ✓");
  });

  test("every encryption draws a fresh nonce", () => {
    const vault = vaultWith(NEW_KEY);
    const nonces = new Set<string>();
    const ciphertexts = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const sealed = vault.encrypt(TOKEN, ALICE);
      nonces.add(sealed.split(".")[2]!);
      ciphertexts.add(sealed);
    }
    expect(nonces.size).toBe(1000);
    expect(ciphertexts.size).toBe(1000);
  });

  test("a token copied to another user's row does not decrypt there", () => {
    const vault = vaultWith(NEW_KEY);
    const sealed = vault.encrypt(TOKEN, ALICE);
    const error = errorOf(() => vault.decrypt(sealed, BOB));
    expect(error.message).toMatch(/did not authenticate/);
    expect(error.message).not.toContain(TOKEN);
    expect(() => vault.decrypt(sealed, tokenContext("google", "alice"))).toThrow(VaultError);
  });

  test("any altered byte is refused without revealing the plaintext", () => {
    const vault = vaultWith(NEW_KEY);
    const sealed = vault.encrypt(TOKEN, ALICE);
    const [version, id, nonce, body] = sealed.split(".") as [string, string, string, string];
    const flip = (text: string, at: number) => {
      const bytes = Buffer.from(text, "base64url");
      bytes[at] = bytes[at]! ^ 1;
      return bytes.toString("base64url");
    };
    const tampered = [
      [version, id, flip(nonce, 0), body],
      [version, id, nonce, flip(body, 0)],
      [version, id, nonce, flip(body, Buffer.from(body, "base64url").length - 1)],
    ].map((parts) => parts.join("."));
    for (const ciphertext of tampered) {
      const error = errorOf(() => vault.decrypt(ciphertext, ALICE));
      expect(error.message).toMatch(/did not authenticate/);
      expect(error.message).not.toContain(TOKEN);
      expect(error.message).not.toContain(NEW_KEY);
    }
  });

  test("malformed input is refused by shape", () => {
    const vault = vaultWith(NEW_KEY);
    const sealed = vault.encrypt(TOKEN, ALICE);
    expect(errorOf(() => vault.decrypt("plain-token", ALICE)).message).toBe("not a v1 vault ciphertext");
    expect(errorOf(() => vault.decrypt(sealed.replace(/^v1/, "v2"), ALICE)).message).toBe("not a v1 vault ciphertext");
    expect(errorOf(() => vault.decrypt(`${sealed}.extra`, ALICE)).message).toBe("not a v1 vault ciphertext");
    const [version, id, nonce] = sealed.split(".");
    expect(errorOf(() => vault.decrypt(`${version}.${id}.${nonce}.AAAA`, ALICE)).message).toBe("malformed vault ciphertext");
    expect(errorOf(() => vault.decrypt(`${version}.${id}.AAAA.${sealed.split(".")[3]}`, ALICE)).message).toBe("malformed vault ciphertext");
    expect(errorOf(() => vault.decrypt(`${version}.XYZ.${nonce}.${sealed.split(".")[3]}`, ALICE)).message).toBe("malformed vault ciphertext");
    expect(errorOf(() => vault.encrypt(TOKEN, "")).message).toMatch(/bound to a context/);
  });

  test("old keys still decrypt, and rotation moves tokens to the current key", () => {
    const before = vaultWith(OLD_KEY);
    const underOld = before.encrypt(TOKEN, ALICE);
    expect(before.needsRotation(underOld)).toBe(false);

    const after = vaultWith(NEW_KEY, [OLD_KEY]);
    expect(after.needsRotation(underOld)).toBe(true);
    expect(after.decrypt(underOld, ALICE)).toBe(TOKEN);
    const rotated = after.reencrypt(underOld, ALICE);
    expect(rotated.split(".")[1]).toBe(after.currentKeyId);
    expect(after.needsRotation(rotated)).toBe(false);
    expect(after.decrypt(rotated, ALICE)).toBe(TOKEN);
    // Rotation keeps the binding: the rotated token is still Alice's only.
    expect(() => after.decrypt(rotated, BOB)).toThrow(VaultError);
    expect(() => after.reencrypt(underOld, BOB)).toThrow(VaultError);
  });

  test("a key id nobody configured names the missing key and nothing secret", () => {
    const sealed = vaultWith(OLD_KEY).encrypt(TOKEN, ALICE);
    const error = errorOf(() => vaultWith(NEW_KEY).decrypt(sealed, ALICE));
    expect(error.message).toBe(`token is encrypted under unknown key ${keyId(OLD_KEY)}; add that key to ENCRYPTION_KEYS_OLD`);
    expect(error.message).not.toContain(OLD_KEY);
    expect(error.message).not.toContain(TOKEN);
  });

  test("repeated keys are harmless; a key that is not 32 bytes is refused", () => {
    const underOld = vaultWith(OLD_KEY).encrypt(TOKEN, ALICE);
    const vault = vaultWith(NEW_KEY, [NEW_KEY, OLD_KEY, OLD_KEY]);
    expect(vault.decrypt(vault.encrypt(TOKEN, ALICE), ALICE)).toBe(TOKEN);
    expect(vault.decrypt(underOld, ALICE)).toBe(TOKEN);
    expect(errorOf(() => vaultWith("short")).message).toBe("ENCRYPTION_KEY is not a 32-byte key");
    expect(errorOf(() => vaultWith(NEW_KEY, ["short"])).message).toBe("ENCRYPTION_KEYS_OLD is not a 32-byte key");
  });
});
