import type { KeyObject } from "node:crypto";
import { type Config, decodeKey } from "../config.ts";
import { nodeCrypto, randomBytes, sha256 } from "../crypto.ts";

/**
 * Provider tokens at rest: AES-256-GCM under `ENCRYPTION_KEY`, with the previous keys of
 * `ENCRYPTION_KEYS_OLD` still able to decrypt. Synchronous on purpose (node:crypto, loaded on the
 * first token sealed or opened), since request handlers decrypt tokens inline.
 *
 * Format: `v1.<keyId>.<nonce>.<ciphertext+tag>` (base64url), keyId = first 8 hex characters of
 * SHA-256(key), so decrypt picks the right key and rotation can tell what is still under an old one.
 * The additional data binds a ciphertext to its context (`provider:userId`) and header, so a token
 * copied into another user's row does not decrypt there.
 */

const VERSION = "v1";
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export class VaultError extends Error {
  override readonly name = "VaultError";
}

export type VaultKeys = Pick<Config, "encryptionKey" | "encryptionKeysOld">;

interface Key {
  id: string;
  bytes: Uint8Array;
  secret?: KeyObject;
}

interface Sealed {
  keyId: string;
  nonce: Buffer;
  sealed: Buffer;
}

function keyFrom(encoded: string, variable: string): Key {
  const bytes = decodeKey(encoded);
  if (!bytes) throw new VaultError(`${variable} is not a 32-byte key`);
  return { id: sha256(bytes).toString("hex").slice(0, 8), bytes };
}

const secretOf = (key: Key): KeyObject => (key.secret ??= nodeCrypto().createSecretKey(key.bytes));

/** The context a provider token is bound to. */
export function tokenContext(provider: string, userId: string): string {
  return `${provider}:${userId}`;
}

export class TokenVault {
  private readonly current: Key;
  private readonly keys = new Map<string, Key>();

  constructor(config: VaultKeys) {
    this.current = keyFrom(config.encryptionKey, "ENCRYPTION_KEY");
    this.keys.set(this.current.id, this.current);
    for (const encoded of config.encryptionKeysOld) {
      const key = keyFrom(encoded, "ENCRYPTION_KEYS_OLD");
      // A key listed twice, or the current key left in the old list, changes nothing.
      if (!this.keys.has(key.id)) this.keys.set(key.id, key);
    }
  }

  /** The id of the key new ciphertexts are made with (safe to log: a hash prefix, not key material). */
  get currentKeyId(): string {
    return this.current.id;
  }

  encrypt(plaintext: string, context: string): string {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = nodeCrypto().createCipheriv("aes-256-gcm", secretOf(this.current), nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(additionalData(this.current.id, context));
    const sealed = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
    return `${VERSION}.${this.current.id}.${nonce.toString("base64url")}.${sealed.toString("base64url")}`;
  }

  decrypt(ciphertext: string, context: string): string {
    const { keyId, nonce, sealed } = parse(ciphertext);
    const key = this.keys.get(keyId);
    if (!key) throw new VaultError(`token is encrypted under unknown key ${keyId}; add that key to ENCRYPTION_KEYS_OLD`);
    const decipher = nodeCrypto().createDecipheriv("aes-256-gcm", secretOf(key), nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(additionalData(keyId, context));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)), decipher.final()]).toString("utf8");
    } catch {
      // node:crypto's own message says nothing useful; this one says what to check.
      throw new VaultError(`token did not authenticate under key ${keyId}: it was altered or belongs to another context`);
    }
  }

  /** True when the ciphertext is not under the current key (the caller should `reencrypt` and store it). */
  needsRotation(ciphertext: string): boolean {
    return parse(ciphertext).keyId !== this.current.id;
  }

  /** The same plaintext under the current key, with a fresh nonce. */
  reencrypt(ciphertext: string, context: string): string {
    return this.encrypt(this.decrypt(ciphertext, context), context);
  }
}

function additionalData(keyId: string, context: string): Buffer {
  if (!context) throw new VaultError("a token must be bound to a context such as provider:userId");
  return Buffer.from(`${VERSION}.${keyId}.${context}`, "utf8");
}

function parse(ciphertext: string): Sealed {
  const parts = ciphertext.split(".");
  const [version, keyId, nonce, sealed] = parts;
  if (parts.length !== 4 || version !== VERSION) throw new VaultError(`not a ${VERSION} vault ciphertext`);
  if (!/^[0-9a-f]{8}$/.test(keyId!) || !BASE64URL.test(nonce!) || !BASE64URL.test(sealed!)) {
    throw new VaultError("malformed vault ciphertext");
  }
  const nonceBytes = Buffer.from(nonce!, "base64url");
  const sealedBytes = Buffer.from(sealed!, "base64url");
  if (nonceBytes.length !== NONCE_BYTES || sealedBytes.length < TAG_BYTES) throw new VaultError("malformed vault ciphertext");
  return { keyId: keyId!, nonce: nonceBytes, sealed: sealedBytes };
}
