import { type TSchema, Type } from "@sinclair/typebox";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Value } from "@sinclair/typebox/value";
import { nodeCrypto, randomBytes } from "./crypto.ts";
import { checkProblem, reasonOf } from "./errors.ts";
import { parseAddressRange } from "./http/client-address.ts";

/**
 * Every environment variable oO reads, in the order `oo --help` lists them.
 * `schema` validates the raw string after typebox's conversion (so "3001" passes an integer schema);
 * `check` adds the rules JSON Schema cannot say (URLs, key lengths).
 */
interface VariableSpec {
  schema: TSchema;
  default?: string;
  help: string;
  check?: (value: string) => string | undefined;
}

const url = (value: string) => {
  try {
    const parsed = new URL(value);
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return "must be an http(s) URL";
  } catch {
    return "must be an absolute URL";
  }
  return undefined;
};
const optionalUrl = (value: string) => (value === "" ? undefined : url(value));
const natsUrls = (value: string) =>
  splitList(value).every((server) => /^(nats|tls|ws|wss):\/\/[^\s]+$/.test(server))
    ? undefined
    : "must be nats://, tls://, ws:// or wss:// URLs, comma separated";
const vapidSubject = (value: string) =>
  value === "" || /^mailto:[^@\s]+@[^@\s]+$/.test(value) || /^https:\/\/\S+$/.test(value)
    ? undefined
    : "must be a mailto: address or an https: URL";
/** A VAPID key as `web-push` takes it: base64url of an uncompressed P-256 point (65 bytes) or of its private scalar (32). */
const vapidKey = (bytes: number) => (value: string) =>
  value === "" || (/^[A-Za-z0-9_-]+$/.test(value) && Buffer.from(value, "base64url").length === bytes) ? undefined : `must be ${bytes} bytes in base64url`;
const encryptionKey = (value: string) =>
  value === "" || decodeKey(value) ? undefined : "must be 32 bytes, as 64 hex characters or base64";
const keyList = (value: string) =>
  splitList(value).every((key) => decodeKey(key)) ? undefined : "must be a comma list of 32-byte keys (hex or base64)";
const addressRanges = (value: string) => {
  const bad = splitList(value).find((entry) => !parseAddressRange(entry));
  return bad === undefined ? undefined : `must be a comma list of IP addresses and CIDR ranges (${JSON.stringify(bad)} is neither)`;
};
/** ADMIN_TOKEN's shortest length: 24 random base64 characters are 144 bits, past any guessing. */
export const MIN_ADMIN_TOKEN_LENGTH = 24;
/** The value is a secret: the problem never repeats it. */
const adminToken = (value: string) =>
  value === "" || value.length >= MIN_ADMIN_TOKEN_LENGTH
    ? undefined
    : `must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters (or empty to turn token sign-in off)`;

const text = (help: string, fallback = ""): VariableSpec => ({ schema: Type.String(), default: fallback, help });
const integer = (help: string, fallback: string, minimum: number, maximum = Number.MAX_SAFE_INTEGER): VariableSpec => ({
  schema: Type.Integer({ minimum, maximum }),
  default: fallback,
  help,
  // The schema's conversion reads "1.5" as 1, and the value is read again as written: only digits pass.
  check: (value) => (/^\d+$/.test(value) ? undefined : `must be a whole number (got ${JSON.stringify(value)})`),
});

export const variables = {
  PORT: integer("listen port", "3001", 1, 65535),
  HOST: text("listen address", "127.0.0.1"),
  DATA_DIR: text("database, generated secrets, backups, scorer script", "./data"),
  DATABASE_PATH: text("SQLite file (default $DATA_DIR/oo.db)"),
  API_BASE_URL: { ...text("public URL: OAuth redirect URIs, links oO prints, Secure cookies when https (default http://localhost:$PORT)"), check: optionalUrl },
  WEB_BASE_URL: { ...text("CORS origin and post-login redirect (default API_BASE_URL)"), check: optionalUrl },
  TRUSTED_PROXIES: {
    ...text("comma list of proxy IPs and CIDRs whose X-Forwarded-For / Forwarded names the client (empty = trust none)"),
    check: addressRanges,
  },
  SESSION_SECRET: text("signing secret (generated into DATA_DIR when empty)"),
  ENCRYPTION_KEY: { ...text("AES-256-GCM key for provider tokens (generated when empty)"), check: encryptionKey },
  ENCRYPTION_KEYS_OLD: { ...text("comma list of previous keys that still decrypt"), check: keyList },
  ADMIN_TOKEN: { ...text(`static token that opens an admin session, ${MIN_ADMIN_TOKEN_LENGTH}+ characters (empty = disabled)`), check: adminToken },
  GOOGLE_CLIENT_ID: text("Google OAuth client id (empty = Google sign-in hidden)"),
  GOOGLE_CLIENT_SECRET: text("Google OAuth client secret"),
  GOOGLE_AUTH_URL: { ...text("Google authorize endpoint", "https://accounts.google.com/o/oauth2/v2/auth"), check: url },
  GOOGLE_TOKEN_URL: { ...text("Google token endpoint", "https://oauth2.googleapis.com/token"), check: url },
  GOOGLE_REVOKE_URL: { ...text("Google revoke endpoint", "https://oauth2.googleapis.com/revoke"), check: url },
  GOOGLE_JWKS_URL: { ...text("Google ID-token signing keys (JWKS)", "https://www.googleapis.com/oauth2/v3/certs"), check: url },
  TODOIST_CLIENT_ID: text("Todoist OAuth client id (empty = Todoist hidden)"),
  TODOIST_CLIENT_SECRET: text("Todoist OAuth client secret and webhook HMAC key"),
  TODOIST_AUTH_URL: { ...text("Todoist authorize endpoint", "https://todoist.com/oauth/authorize"), check: url },
  TODOIST_TOKEN_URL: { ...text("Todoist token endpoint", "https://todoist.com/oauth/access_token"), check: url },
  TODOIST_API_BASE_URL: { ...text("Todoist API base", "https://api.todoist.com/api/v1"), check: url },
  TODOIST_SYNC_INTERVAL_MS: integer("Todoist sync cadence; first run 10 s after boot", "900000", 1000),
  ML_SERVING_URL: { ...text("remote scorer URL (empty = spawn the embedded scorer)"), check: optionalUrl },
  PYTHON: text("interpreter for the embedded scorer, sim, bench", "python3"),
  ML_TIMEOUT_MS: integer("scorer call budget before the heuristic fallback", "150", 1, 60000),
  NATS_URL: { ...text("NATS JetStream mirror (empty = in-process bus only)"), check: natsUrls },
  LLM_BASE_URL: { ...text("OpenAI-compatible endpoint (empty = LLM off)"), check: optionalUrl },
  LLM_API_KEY: text("LLM API key"),
  LLM_MODEL: text("LLM model for tip generation"),
  LLM_JUDGE_MODEL: text("LLM model for offline judging"),
  TIP_PROMPT_VERSION: text("prompt variant(s), comma list for A/B (empty = newest)"),
  VAPID_PUBLIC_KEY: { ...text("web push public key (generated when empty)"), check: vapidKey(65) },
  VAPID_PRIVATE_KEY: { ...text("web push private key (generated when empty)"), check: vapidKey(32) },
  VAPID_SUBJECT: { ...text("web push contact, mailto: or https: (default mailto:admin@<API host>)"), check: vapidSubject },
  UNDO_SECONDS: integer("how long an action on a tip can be undone; a Todoist close waits this long (0 = no undo)", "30", 0, 600),
  RETENTION_DAYS: integer("days to keep the decision log (tips shown) and the reactions", "30", 1, 3650),
  LOG_LEVEL: {
    schema: Type.Union(["fatal", "error", "warn", "info", "debug", "trace", "silent"].map((level) => Type.Literal(level))),
    default: "info",
    help: "pino level",
  },
  SENTRY_DSN: { ...text("error capture (empty = off)"), check: optionalUrl },
} satisfies Record<string, VariableSpec>;

export type VariableName = keyof typeof variables;
export type Env = Partial<Record<string, string | undefined>>;
export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`invalid ${variable}: ${problem}`);
  }
}

function read(env: Env, name: VariableName): string {
  const spec: VariableSpec = variables[name];
  const raw = env[name]?.trim();
  const value = raw === undefined || raw === "" ? (spec.default ?? "") : raw;
  const converted = Value.Convert(spec.schema, value);
  if (!Value.Check(spec.schema, converted)) {
    const first = Value.Errors(spec.schema, converted).First();
    throw new ConfigError(name, `${checkProblem(spec.schema, (first?.message ?? "invalid value").toLowerCase())} (got ${JSON.stringify(value)})`);
  }
  const problem = spec.check?.(value);
  if (problem) throw new ConfigError(name, problem);
  return value;
}

export function splitList(value: string): string[] {
  return value
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);
}

/** Accepts 64 hex characters or base64/base64url of exactly 32 bytes. */
export function decodeKey(value: string): Uint8Array | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, "hex");
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) return undefined;
  const bytes = Buffer.from(value, "base64");
  return bytes.length === 32 ? bytes : undefined;
}

/** Credentials that only work as a pair. */
const PAIRS: [VariableName, VariableName][] = [
  ["GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET"],
  ["TODOIST_CLIENT_ID", "TODOIST_CLIENT_SECRET"],
  ["VAPID_PUBLIC_KEY", "VAPID_PRIVATE_KEY"],
];

/** The validated configuration. Secret fields may be empty here; `resolveSecrets` fills them. */
export function parseConfig(env: Env) {
  const get = (name: VariableName) => read(env, name);
  for (const [first, second] of PAIRS) {
    if (Boolean(get(first)) !== Boolean(get(second))) {
      const [given, missing] = get(first) ? [first, second] : [second, first];
      throw new ConfigError(missing, `must be set together with ${given}`);
    }
  }
  const dataDir = get("DATA_DIR");
  const apiBaseUrl = (get("API_BASE_URL") || `http://localhost:${get("PORT")}`).replace(/\/+$/, "");
  const webBaseUrl = (get("WEB_BASE_URL") || apiBaseUrl).replace(/\/+$/, "");
  const llmBaseUrl = get("LLM_BASE_URL").replace(/\/+$/, "");
  return {
    port: Number(get("PORT")),
    host: get("HOST"),
    dataDir,
    databasePath: get("DATABASE_PATH") || `${dataDir.replace(/\/+$/, "")}/oo.db`,
    apiBaseUrl,
    webBaseUrl,
    secureCookies: apiBaseUrl.startsWith("https:"),
    trustedProxies: splitList(get("TRUSTED_PROXIES")),
    sessionSecret: get("SESSION_SECRET"),
    encryptionKey: get("ENCRYPTION_KEY"),
    encryptionKeysOld: splitList(get("ENCRYPTION_KEYS_OLD")),
    adminToken: get("ADMIN_TOKEN"),
    google: {
      clientId: get("GOOGLE_CLIENT_ID"),
      clientSecret: get("GOOGLE_CLIENT_SECRET"),
      authUrl: get("GOOGLE_AUTH_URL"),
      tokenUrl: get("GOOGLE_TOKEN_URL"),
      revokeUrl: get("GOOGLE_REVOKE_URL"),
      jwksUrl: get("GOOGLE_JWKS_URL"),
    },
    todoist: {
      clientId: get("TODOIST_CLIENT_ID"),
      clientSecret: get("TODOIST_CLIENT_SECRET"),
      authUrl: get("TODOIST_AUTH_URL"),
      tokenUrl: get("TODOIST_TOKEN_URL"),
      apiBaseUrl: get("TODOIST_API_BASE_URL").replace(/\/+$/, ""),
      syncIntervalMs: Number(get("TODOIST_SYNC_INTERVAL_MS")),
    },
    ml: {
      servingUrl: get("ML_SERVING_URL").replace(/\/+$/, ""),
      python: get("PYTHON"),
      timeoutMs: Number(get("ML_TIMEOUT_MS")),
    },
    natsUrl: get("NATS_URL"),
    llm: {
      baseUrl: llmBaseUrl,
      apiKey: get("LLM_API_KEY"),
      model: get("LLM_MODEL"),
      judgeModel: get("LLM_JUDGE_MODEL"),
      promptVersions: splitList(get("TIP_PROMPT_VERSION")),
    },
    vapid: {
      publicKey: get("VAPID_PUBLIC_KEY"),
      privateKey: get("VAPID_PRIVATE_KEY"),
      subject: get("VAPID_SUBJECT") || `mailto:admin@${new URL(apiBaseUrl).hostname}`,
    },
    undoMs: Number(get("UNDO_SECONDS")) * 1000,
    retentionDays: Number(get("RETENTION_DAYS")),
    logLevel: get("LOG_LEVEL") as LogLevel,
    sentryDsn: get("SENTRY_DSN"),
  };
}

export type Config = ReturnType<typeof parseConfig>;

const generatedSecrets = ["SESSION_SECRET", "ENCRYPTION_KEY", "VAPID_PUBLIC_KEY", "VAPID_PRIVATE_KEY"] as const;
type GeneratedSecret = (typeof generatedSecrets)[number];

function generateVapidKeys() {
  const { publicKey, privateKey } = nodeCrypto().generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const pub = publicKey.export({ format: "jwk" });
  const priv = privateKey.export({ format: "jwk" });
  const raw = Buffer.concat([Buffer.from([4]), Buffer.from(pub.x!, "base64url"), Buffer.from(pub.y!, "base64url")]);
  return { VAPID_PUBLIC_KEY: raw.toString("base64url"), VAPID_PRIVATE_KEY: priv.d! };
}

/**
 * Fills the secrets the operator did not set from `DATA_DIR/secrets.json` (mode 0600),
 * generating and storing any that are missing so every later boot reuses them.
 */
export function resolveSecrets(config: Config): Config {
  const file = join(config.dataDir, "secrets.json");
  const given: Record<GeneratedSecret, string> = {
    SESSION_SECRET: config.sessionSecret,
    ENCRYPTION_KEY: config.encryptionKey,
    VAPID_PUBLIC_KEY: config.vapid.publicKey,
    VAPID_PRIVATE_KEY: config.vapid.privateKey,
  };
  if (generatedSecrets.every((name) => given[name])) return config;

  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  let stored: Partial<Record<GeneratedSecret, string>> = {};
  if (existsSync(file)) {
    try {
      stored = JSON.parse(readFileSync(file, "utf8"));
    } catch (error) {
      throw new ConfigError("DATA_DIR", `${file} cannot be read (${reasonOf(error)}); restore it or remove it to generate new secrets`);
    }
  }
  const missing = generatedSecrets.filter((name) => !stored[name]);
  if (missing.length > 0) {
    const vapid = stored.VAPID_PUBLIC_KEY && stored.VAPID_PRIVATE_KEY ? {} : generateVapidKeys();
    const fresh = { SESSION_SECRET: randomBytes(32).toString("base64url"), ENCRYPTION_KEY: randomBytes(32).toString("base64"), ...vapid };
    const merged = { ...fresh, ...stored };
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(merged, null, 2)}\n`, { mode: 0o600 });
    renameSync(temporary, file);
    Object.assign(stored, merged);
  }
  chmodSync(file, 0o600);
  const pick = (name: GeneratedSecret) => given[name] || stored[name]!;
  if (!decodeKey(pick("ENCRYPTION_KEY"))) throw new ConfigError("ENCRYPTION_KEY", `the key stored in ${file} is not 32 bytes`);
  return {
    ...config,
    sessionSecret: pick("SESSION_SECRET"),
    encryptionKey: pick("ENCRYPTION_KEY"),
    vapid: { ...config.vapid, publicKey: pick("VAPID_PUBLIC_KEY"), privateKey: pick("VAPID_PRIVATE_KEY") },
  };
}
