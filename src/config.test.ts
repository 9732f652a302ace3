import { describe, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, decodeKey, parseConfig, resolveSecrets } from "./config.ts";
import { tempDir } from "./testing/harness.ts";

const problemOf = (env: Record<string, string>) => {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return { variable: error.variable, message: error.message };
    throw error;
  }
  throw new Error("expected a ConfigError");
};

describe("parseConfig", () => {
  test("defaults match the documented table", () => {
    const config = parseConfig({});
    expect(config.port).toBe(3001);
    expect(config.host).toBe("127.0.0.1");
    expect(config.databasePath).toBe("./data/oo.db");
    expect(config.apiBaseUrl).toBe("http://localhost:3001");
    expect(config.webBaseUrl).toBe("http://localhost:3001");
    expect(config.secureCookies).toBe(false);
    expect(config.todoist.apiBaseUrl).toBe("https://api.todoist.com/api/v1");
    expect(config.todoist.syncIntervalMs).toBe(900_000);
    expect(config.ml.timeoutMs).toBe(150);
    expect(config.ml.python).toBe("python3");
    expect(config.retentionDays).toBe(30);
    expect(config.logLevel).toBe("info");
  });

  test("derived values follow their sources", () => {
    const config = parseConfig({ DATA_DIR: "/srv/oo/", API_BASE_URL: "https://oo.example/", TIP_PROMPT_VERSION: "v1, v2" });
    expect(config.databasePath).toBe("/srv/oo/oo.db");
    expect(config.apiBaseUrl).toBe("https://oo.example");
    expect(config.webBaseUrl).toBe("https://oo.example");
    expect(config.secureCookies).toBe(true);
    expect(config.llm.promptVersions).toEqual(["v1", "v2"]);
    expect(config.vapid.subject).toBe("mailto:admin@oo.example");
    // Only the port given: the links oO prints (the setup link) name that port.
    expect(parseConfig({ PORT: "3411" }).apiBaseUrl).toBe("http://localhost:3411");
  });

  const badValues: [string, string, RegExp][] = [
    ["PORT", "abc", /invalid PORT: expected integer \(got "abc"\)/],
    ["PORT", "70000", /invalid PORT: .*65535/],
    ["PORT", "1.5", /^invalid PORT: must be a whole number \(got "1.5"\)$/],
    ["TODOIST_SYNC_INTERVAL_MS", "1500.5", /^invalid TODOIST_SYNC_INTERVAL_MS: must be a whole number/],
    ["UNDO_SECONDS", "1e1", /^invalid UNDO_SECONDS: must be a whole number/],
    ["API_BASE_URL", "not a url", /invalid API_BASE_URL: must be an absolute URL/],
    ["LOG_LEVEL", "loud", /^invalid LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent \(got "loud"\)$/],
    ["WEB_BASE_URL", "ftp://x", /invalid WEB_BASE_URL: must be an http\(s\) URL/],
    ["ENCRYPTION_KEY", "short", /invalid ENCRYPTION_KEY: must be 32 bytes/],
    ["ENCRYPTION_KEYS_OLD", `${"a".repeat(64)},nope`, /invalid ENCRYPTION_KEYS_OLD/],
    ["ML_TIMEOUT_MS", "0", /invalid ML_TIMEOUT_MS/],
    ["TODOIST_SYNC_INTERVAL_MS", "1.5", /invalid TODOIST_SYNC_INTERVAL_MS: expected integer/],
    ["RETENTION_DAYS", "-1", /invalid RETENTION_DAYS/],
    ["LOG_LEVEL", "loud", /invalid LOG_LEVEL/],
    ["ML_SERVING_URL", "localhost:8000", /invalid ML_SERVING_URL/],
    ["NATS_URL", "not a url", /invalid NATS_URL: must be nats:\/\//],
    ["VAPID_SUBJECT", "bogus", /invalid VAPID_SUBJECT: must be a mailto: address or an https: URL/],
    ["VAPID_PUBLIC_KEY", "test-public", /^invalid VAPID_PUBLIC_KEY: must be 65 bytes in base64url$/],
    ["VAPID_PRIVATE_KEY", Buffer.alloc(32).toString("base64"), /^invalid VAPID_PRIVATE_KEY: must be 32 bytes in base64url$/],
    ["TRUSTED_PROXIES", "10.0.0.0/8, proxy.local", /invalid TRUSTED_PROXIES: must be a comma list of IP addresses and CIDR ranges \("proxy.local" is neither\)/],
    ["TRUSTED_PROXIES", "10.0.0.0/33", /invalid TRUSTED_PROXIES: .*"10.0.0.0\/33"/],
    ["TRUSTED_PROXIES", "fd00::/129", /invalid TRUSTED_PROXIES/],
    ["ADMIN_TOKEN", "twenty-three-characters", /^invalid ADMIN_TOKEN: must be at least 24 characters \(or empty to turn token sign-in off\)$/],
  ];
  for (const [variable, value, message] of badValues) {
    test(`${variable}=${value} is refused by name`, () => {
      const problem = problemOf({ [variable]: value });
      expect(problem.variable).toBe(variable);
      expect(problem.message).toMatch(message);
      expect(problem.message).not.toContain("\n");
    });
  }

  test("TRUSTED_PROXIES is a list of IPv4 and IPv6 addresses and ranges, none by default; ADMIN_TOKEN has 24+ characters", () => {
    expect(parseConfig({}).trustedProxies).toEqual([]);
    expect(parseConfig({ TRUSTED_PROXIES: " 10.0.0.1, 172.16.0.0/12 ,::1,fd00::/8" }).trustedProxies).toEqual(["10.0.0.1", "172.16.0.0/12", "::1", "fd00::/8"]);
    expect(parseConfig({ ADMIN_TOKEN: "x".repeat(24) }).adminToken).toBe("x".repeat(24));
    expect(parseConfig({ ADMIN_TOKEN: "" }).adminToken).toBe("");
    // The refusal never repeats the secret.
    expect(problemOf({ ADMIN_TOKEN: "short-secret" }).message).not.toContain("short-secret");
  });

  test("credentials that only work as a pair are refused alone, naming the missing one", () => {
    expect(problemOf({ GOOGLE_CLIENT_ID: "id" })).toEqual({ variable: "GOOGLE_CLIENT_SECRET", message: "invalid GOOGLE_CLIENT_SECRET: must be set together with GOOGLE_CLIENT_ID" });
    expect(problemOf({ TODOIST_CLIENT_SECRET: "s" }).variable).toBe("TODOIST_CLIENT_ID");
    expect(problemOf({ VAPID_PUBLIC_KEY: Buffer.alloc(65, 4).toString("base64url") }).variable).toBe("VAPID_PRIVATE_KEY");
    expect(parseConfig({ NATS_URL: "nats://a:4222,tls://b:4222", VAPID_SUBJECT: "https://oo.example" }).natsUrl).toBe("nats://a:4222,tls://b:4222");
  });

  test("keys are accepted as hex or base64 of 32 bytes only", () => {
    expect(decodeKey("ab".repeat(32))?.length).toBe(32);
    expect(decodeKey(Buffer.alloc(32, 1).toString("base64"))?.length).toBe(32);
    expect(decodeKey(Buffer.alloc(32, 1).toString("base64url"))?.length).toBe(32);
    expect(decodeKey(Buffer.alloc(31, 1).toString("base64"))).toBeUndefined();
    expect(decodeKey("zz".repeat(32))).toBeUndefined();
  });
});

describe("resolveSecrets", () => {
  test("generates missing secrets once, stores them 0600, and reuses them", () => {
    const dir = tempDir();
    try {
      const first = resolveSecrets(parseConfig({ DATA_DIR: dir.path }));
      const file = join(dir.path, "secrets.json");
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(first.sessionSecret.length).toBeGreaterThan(30);
      expect(decodeKey(first.encryptionKey)?.length).toBe(32);
      expect(Buffer.from(first.vapid.publicKey, "base64url").length).toBe(65);
      expect(Buffer.from(first.vapid.privateKey, "base64url").length).toBe(32);

      const second = resolveSecrets(parseConfig({ DATA_DIR: dir.path }));
      expect(second.sessionSecret).toBe(first.sessionSecret);
      expect(second.encryptionKey).toBe(first.encryptionKey);
      expect(second.vapid.publicKey).toBe(first.vapid.publicKey);
      expect(second.vapid.privateKey).toBe(first.vapid.privateKey);
    } finally {
      dir.cleanup();
    }
  });

  test("an unreadable secrets file is one clear error, not a crash", () => {
    const dir = tempDir();
    try {
      require("node:fs").writeFileSync(join(dir.path, "secrets.json"), "{ not json");
      expect(() => resolveSecrets(parseConfig({ DATA_DIR: dir.path }))).toThrow(/invalid DATA_DIR: .*secrets.json cannot be read/);
    } finally {
      dir.cleanup();
    }
  });

  test("given secrets win over stored ones and are not written to disk", () => {
    const dir = tempDir();
    try {
      const given = "c".repeat(64);
      const config = resolveSecrets(parseConfig({ DATA_DIR: dir.path, ENCRYPTION_KEY: given }));
      expect(config.encryptionKey).toBe(given);
      expect(require("node:fs").readFileSync(join(dir.path, "secrets.json"), "utf8")).not.toContain(given);
    } finally {
      dir.cleanup();
    }
  });
});
