import parseForwarded from "forwarded-parse";
import ipaddr from "ipaddr.js";

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type AddressRange = [Address, number];

/** What a request from no socket (a test calling `app.handle`) is keyed by. */
export const UNKNOWN_CLIENT = "local";

/** A dotted-quad IPv4 or an IPv6 address (IPv4-mapped ones as IPv4), else undefined. */
function parseAddress(text: string): Address | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (!ipaddr.IPv6.isValid(text)) return undefined;
  const address = ipaddr.IPv6.parse(text);
  return address.isIPv4MappedAddress() ? address.toIPv4Address() : address;
}

/** One `TRUSTED_PROXIES` entry: an address (a range of one) or a CIDR range; undefined when it is neither. */
export function parseAddressRange(entry: string): AddressRange | undefined {
  const [text = "", bits, ...rest] = entry.split("/");
  const address = parseAddress(text);
  if (!address || rest.length > 0) return undefined;
  const width = address.kind() === "ipv4" ? 32 : 128;
  if (bits === undefined) return [address, width];
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > width) return undefined;
  return [address, Number(bits)];
}

/** The host of one hop as proxies write it: `1.2.3.4`, `1.2.3.4:80`, `[::1]`, `[::1]:80`, `::1`. */
function hostOf(hop: string): string {
  const text = hop.trim();
  if (text.startsWith("[")) {
    const end = text.indexOf("]");
    return text.slice(1, end === -1 ? undefined : end);
  }
  const colons = text.split(":").length - 1;
  return colons === 1 ? text.slice(0, text.indexOf(":")) : text;
}

/**
 * The hops the proxies recorded, nearest last: `X-Forwarded-For` when the request has it (what
 * nginx, Caddy, Traefik and most load balancers append to), else the `for=` of RFC 7239
 * `Forwarded`. A `Forwarded` that does not parse records nothing.
 */
function forwardedHops(headers: Headers): string[] {
  const xForwardedFor = headers.get("x-forwarded-for");
  if (xForwardedFor !== null) return xForwardedFor.split(",").map(hostOf);
  const forwarded = headers.get("forwarded");
  if (forwarded === null) return [];
  try {
    return parseForwarded(forwarded).map((element) => hostOf(element.for ?? ""));
  } catch {
    return [];
  }
}

/**
 * Finds who is asking from the socket peer and, when that peer is a trusted proxy, the hops it
 * forwarded: the right-most hop that is not itself a trusted proxy (or the left-most when all are).
 * A hop that is not an address is not trusted, so it is the client, as written. Without a socket
 * (`peer` undefined) every request is `UNKNOWN_CLIENT`.
 */
export function clientAddressResolver(trustedProxies: readonly string[]): (peer: string | undefined, headers: Headers) => string {
  const ranges = trustedProxies.map((entry) => {
    const range = parseAddressRange(entry);
    if (!range) throw new Error(`not an address or CIDR range: ${entry}`);
    return range;
  });
  const isTrusted = (hop: string) => {
    const address = parseAddress(hop);
    return address !== undefined && ranges.some(([network, bits]) => network.kind() === address.kind() && address.match(network, bits));
  };
  const normal = (hop: string) => parseAddress(hop)?.toString() ?? hop.slice(0, 100);

  return (peer, headers) => {
    if (peer === undefined) return UNKNOWN_CLIENT;
    if (!isTrusted(peer)) return normal(peer);
    const hops = forwardedHops(headers).filter(Boolean);
    for (let index = hops.length - 1; index >= 0; index--) if (!isTrusted(hops[index]!)) return normal(hops[index]!);
    return normal(hops[0] ?? peer);
  };
}

/**
 * The key a limiter counts a client under: its address, but an IPv6 client's /64, since one
 * host commonly holds a whole /64 and could otherwise take a fresh key per attempt.
 */
export function limiterKey(client: string): string {
  const address = parseAddress(client);
  if (!(address instanceof ipaddr.IPv6)) return client;
  return `${new ipaddr.IPv6([...address.parts.slice(0, 4), 0, 0, 0, 0]).toString()}/64`;
}
