import { describe, expect, test } from "bun:test";
import { clientAddressResolver, limiterKey, parseAddressRange, UNKNOWN_CLIENT } from "./client-address.ts";

const headers = (init: Record<string, string>) => new Headers(init);

describe("client address", () => {
  test("TRUSTED_PROXIES entries are IPv4 or IPv6 addresses or CIDR ranges", () => {
    for (const entry of ["10.0.0.1", "10.0.0.0/8", "0.0.0.0/0", "::1", "fd00::/8", "2001:db8::/32", "::ffff:10.0.0.1"]) {
      expect(parseAddressRange(entry)).toBeDefined();
    }
    for (const entry of ["", "proxy.local", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/8/8", "10.1", "0x7f000001", "10.0.0.0/-1", "1.2.3.4:80"]) {
      expect(parseAddressRange(entry)).toBeUndefined();
    }
  });

  test("with no trusted proxies the socket peer is the client, whatever the headers say", () => {
    const resolve = clientAddressResolver([]);
    expect(resolve("203.0.113.9", headers({ "x-forwarded-for": "198.51.100.1", forwarded: "for=198.51.100.2" }))).toBe("203.0.113.9");
    expect(resolve("::ffff:203.0.113.9", headers({}))).toBe("203.0.113.9");
    expect(resolve(undefined, headers({ "x-forwarded-for": "198.51.100.1" }))).toBe(UNKNOWN_CLIENT);
  });

  test("behind trusted proxies, the right-most hop that is not one of them", () => {
    const resolve = clientAddressResolver(["10.0.0.0/8", "fd00::/8", "192.0.2.7"]);
    // The client wrote its own X-Forwarded-For; the proxies appended what they saw.
    const chain = headers({ "x-forwarded-for": "6.6.6.6, 198.51.100.1, 10.1.1.1" });
    expect(resolve("10.0.0.2", chain)).toBe("198.51.100.1");
    expect(resolve("::ffff:10.0.0.2", chain)).toBe("198.51.100.1");
    expect(resolve("192.0.2.7", headers({ "x-forwarded-for": "2001:db8::5" }))).toBe("2001:db8::5");
    // An untrusted peer's headers are never read.
    expect(resolve("198.51.100.9", chain)).toBe("198.51.100.9");
    // Nobody but proxies: the farthest one; no header: the peer itself.
    expect(resolve("10.0.0.2", headers({ "x-forwarded-for": "10.9.9.9, 10.1.1.1" }))).toBe("10.9.9.9");
    expect(resolve("10.0.0.2", headers({}))).toBe("10.0.0.2");
    // Ports and brackets are dropped; a hop that is not an address is the client, as written.
    expect(resolve("10.0.0.2", headers({ "x-forwarded-for": "198.51.100.1:4711" }))).toBe("198.51.100.1");
    expect(resolve("10.0.0.2", headers({ "x-forwarded-for": "[2001:db8::1]:4711, 10.1.1.1" }))).toBe("2001:db8::1");
    expect(resolve("10.0.0.2", headers({ "x-forwarded-for": "unknown" }))).toBe("unknown");
  });

  test("RFC 7239 Forwarded when there is no X-Forwarded-For", () => {
    const resolve = clientAddressResolver(["10.0.0.0/8"]);
    const forwarded = (value: string) => resolve("10.0.0.2", headers({ forwarded: value }));
    expect(forwarded('for=6.6.6.6, for="[2001:db8:cafe::17]:4711";proto=https, for=10.1.1.1')).toBe("2001:db8:cafe::17");
    expect(forwarded('for="198.51.100.1:80";by=10.0.0.2')).toBe("198.51.100.1");
    expect(forwarded("for=_hidden")).toBe("_hidden");
    // A header that does not parse says nothing: the proxy itself is the client.
    expect(forwarded("for=198.51.100.1:80")).toBe("10.0.0.2"); // a colon needs quotes
    expect(resolve("10.0.0.2", headers({ forwarded: "for=198.51.100.1", "x-forwarded-for": "198.51.100.2" }))).toBe("198.51.100.2");
  });

  test("limiter keys: IPv4 and other text as they are, IPv6 by its /64", () => {
    expect(limiterKey("198.51.100.1")).toBe("198.51.100.1");
    expect(limiterKey("2001:db8:1:2:aaaa:bbbb:cccc:dddd")).toBe("2001:db8:1:2::/64");
    expect(limiterKey("2001:db8:1:2::9")).toBe("2001:db8:1:2::/64");
    expect(limiterKey(UNKNOWN_CLIENT)).toBe(UNKNOWN_CLIENT);
  });
});
