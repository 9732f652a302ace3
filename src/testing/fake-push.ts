/**
 * A push service for tests, over real HTTP, and a browser's side of a subscription: the keys a
 * browser makes, the decryption of what arrives (RFC 8291 with RFC 8188's aes128gcm, written here
 * on WebCrypto rather than with the library that encrypts), and the check of the VAPID JWT
 * (RFC 8292) against the server's public key.
 */

type Bytes = Uint8Array<ArrayBuffer>;

export interface ReceivedPush {
  path: string;
  headers: Record<string, string>;
  body: Bytes;
  at: number;
}

const subtle = crypto.subtle;
const encoder = new TextEncoder();
const concat = (...parts: Bytes[]): Bytes => {
  const out = new Uint8Array(parts.reduce((size, part) => size + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
};
const fromBase64url = (value: string): Bytes => new Uint8Array(Buffer.from(value, "base64url"));

async function hkdf(salt: Bytes, ikm: Bytes, info: Bytes, bytes: number): Promise<Bytes> {
  const key = await subtle.importKey("raw", ikm, "HKDF", false, ["deriveBits"]);
  return new Uint8Array(await subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt, info }, key, bytes * 8));
}

/** A browser's subscription to the fake: its JSON as `PushSubscription.toJSON()` gives it, and its decryption. */
export async function browserSubscription(endpoint: string) {
  const pair = (await subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"])) as CryptoKeyPair;
  const publicKey = new Uint8Array(await subtle.exportKey("raw", pair.publicKey));
  const authSecret = crypto.getRandomValues(new Uint8Array(16));
  return {
    json: { endpoint, keys: { p256dh: Buffer.from(publicKey).toString("base64url"), auth: Buffer.from(authSecret).toString("base64url") }, expirationTime: null },
    /** The plaintext of an aes128gcm body sent to this subscription; throws if it was not encrypted for it. */
    async decrypt(body: Bytes): Promise<string> {
      const salt = body.slice(0, 16);
      const recordSize = new DataView(body.buffer, body.byteOffset + 16, 4).getUint32(0);
      const idLength = body[20]!;
      const senderKey = body.slice(21, 21 + idLength);
      const records = body.slice(21 + idLength);
      if (records.length > recordSize) throw new Error("more than one record: a push payload fits in one");
      const sender = await subtle.importKey("raw", senderKey, { name: "ECDH", namedCurve: "P-256" }, false, []);
      const shared = new Uint8Array(await subtle.deriveBits({ name: "ECDH", public: sender }, pair.privateKey, 256));
      const keyInfo = concat(encoder.encode("WebPush: info\0"), publicKey, senderKey);
      const ikm = await hkdf(authSecret, shared, keyInfo, 32);
      const contentKey = await hkdf(salt, ikm, encoder.encode("Content-Encoding: aes128gcm\0"), 16);
      const nonce = await hkdf(salt, ikm, encoder.encode("Content-Encoding: nonce\0"), 12);
      const key = await subtle.importKey("raw", contentKey, "AES-GCM", false, ["decrypt"]);
      const padded = new Uint8Array(await subtle.decrypt({ name: "AES-GCM", iv: nonce }, key, records));
      // The last record ends with the delimiter 2, then padding zeros.
      let end = padded.length - 1;
      while (end >= 0 && padded[end] === 0) end--;
      if (padded[end] !== 2) throw new Error("no last-record delimiter");
      return new TextDecoder().decode(padded.slice(0, end));
    },
  };
}

/** The claims of a `vapid t=<jwt>, k=<key>` Authorization header, once its ES256 signature checks out against `publicKey`. */
export async function verifiedVapid(authorization: string, publicKey: string): Promise<{ aud: string; exp: number; sub: string }> {
  const match = /^vapid t=([^,\s]+),\s*k=([^,\s]+)$/.exec(authorization);
  if (!match) throw new Error(`not a VAPID authorization: ${authorization.slice(0, 20)}…`);
  const [, token, key] = match;
  if (key !== publicKey) throw new Error("the header's key is not the server's public key");
  const [header, claims, signature] = token!.split(".");
  const verifier = await subtle.importKey("raw", fromBase64url(publicKey), { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
  const valid = await subtle.verify({ name: "ECDSA", hash: "SHA-256" }, verifier, fromBase64url(signature!), encoder.encode(`${header}.${claims}`));
  if (!valid) throw new Error("the VAPID signature does not verify");
  if (JSON.parse(Buffer.from(header!, "base64url").toString()).alg !== "ES256") throw new Error("not ES256");
  return JSON.parse(Buffer.from(claims!, "base64url").toString());
}

/** A push service on a real port: takes pushes (201), or answers what a test queued next. */
export function startFakePush() {
  const received: ReceivedPush[] = [];
  const queued: { status: number; headers?: Record<string, string> }[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      const url = new URL(request.url);
      received.push({ path: url.pathname, headers: request.headers.toJSON(), body: new Uint8Array(await request.arrayBuffer()), at: Date.now() });
      const next = queued.shift();
      return new Response(null, { status: next?.status ?? 201, headers: next?.headers });
    },
  });
  const origin = `http://127.0.0.1:${server.port}`;
  return {
    origin,
    received,
    /** A new device's endpoint on this service. */
    endpoint: () => `${origin}/push/${crypto.randomUUID()}`,
    /** The next pushes get these answers, in order. */
    respondNext: (...responses: { status: number; headers?: Record<string, string> }[]) => void queued.push(...responses),
    stop: () => server.stop(true),
  };
}
