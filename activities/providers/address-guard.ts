import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { LOOKUP_ERROR_TYPES } from '../../schemas/lookup.js';
import { LookupError } from './lookup-error.js';

/** One resolved address, as `dns.lookup(host, { all: true })` answers it. */
export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Resolves a host name to its addresses; tests inject their own (no DNS server needed). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/**
 * Addresses a host learned from data must never lead to: loopback, unspecified, private (RFC 1918), shared
 * (CGNAT, RFC 6598), link-local, unique-local (ULA), site-local, multicast, reserved, documentation and
 * benchmarking ranges, and the IETF special blocks — anything that is not an ordinary public address.
 */
const FORBIDDEN = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network", unspecified
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // shared address space (CGNAT)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata endpoints live here)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and the broadcast address
] as const) {
  FORBIDDEN.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 96], // unspecified, loopback (::1) and the deprecated IPv4-compatible addresses
  ['64:ff9b:1::', 48], // local-use NAT64
  ['100::', 64], // discard-only
  ['2001::', 32], // Teredo
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local (ULA)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const) {
  FORBIDDEN.addSubnet(network, prefix, 'ipv6');
}

/** The eight 16-bit words of an IPv6 address (with `::` and a trailing dotted quad), or undefined when it is not one. */
function ipv6Words(address: string): number[] | undefined {
  if (isIP(address) !== 6) return undefined;
  let text = address.replace(/%.*$/, '').toLowerCase();
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const words = (part: string) => (part === '' ? [] : part.split(':').map((w) => parseInt(w, 16)));
  const front = words(head);
  const back = tail === undefined ? [] : words(tail);
  const missing = 8 - front.length - back.length;
  return [...front, ...Array<number>(tail === undefined ? 0 : missing).fill(0), ...back];
}

const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;

/** The IPv4 address an IPv6 address carries (IPv4-mapped, NAT64 well-known prefix, 6to4), if any. */
function embeddedIpv4(words: number[]): string | undefined {
  const [w0, w1, w2, w3, w4, w5, w6, w7] = words as [number, number, number, number, number, number, number, number];
  if (w0 === 0 && w1 === 0 && w2 === 0 && w3 === 0 && w4 === 0 && w5 === 0xffff) return v4(w6, w7); // ::ffff:a.b.c.d
  if (w0 === 0x64 && w1 === 0xff9b && w2 === 0 && w3 === 0 && w4 === 0 && w5 === 0) return v4(w6, w7); // 64:ff9b::a.b.c.d
  if (w0 === 0x2002) return v4(w1, w2); // 6to4: 2002:aabb:ccdd::
  return undefined;
}

/**
 * Whether `address` (an IPv4 or IPv6 literal) is anything but an ordinary public address: loopback, private,
 * link-local, CGNAT, ULA, unspecified, multicast, reserved — directly or through an IPv4 address an IPv6 one embeds.
 * Anything that does not parse as an address is forbidden too.
 */
export function isForbiddenAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return FORBIDDEN.check(address, 'ipv4');
  if (family !== 6) return true;
  const words = ipv6Words(address);
  if (!words || words.length !== 8 || words.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffff)) return true;
  const embedded = embeddedIpv4(words);
  if (embedded !== undefined) return FORBIDDEN.check(embedded, 'ipv4');
  return FORBIDDEN.check(words.map((w) => w.toString(16)).join(':'), 'ipv6');
}

export interface GuardedLookupOptions {
  /** The provider, for error messages. */
  provider: string;
  /** Hosts configured explicitly: asked whatever they resolve to. Lower-case names, without a trailing dot. */
  allowedHosts?: readonly string[];
  resolve?: Resolver;
}

/**
 * A `lookup` for `net.connect` (undici's `connect.lookup`) that refuses, as a non-retryable ForbiddenHost, a host
 * that resolves to any address that is not public — unless the host is configured explicitly. The check runs when
 * the connection is made, on the very addresses the socket then connects to, so a name that answers a public
 * address to a first query and a private one to the next (DNS rebinding) gains nothing.
 */
export function guardedLookup(options: GuardedLookupOptions): LookupFunction {
  const resolve = options.resolve ?? systemResolver;
  const allowed = new Set((options.allowedHosts ?? []).map((h) => h.toLowerCase().replace(/\.$/, '')));
  return (hostname, lookupOptions, callback) => {
    const host = hostname.toLowerCase().replace(/\.$/, '');
    resolve(hostname).then(
      (resolved) => {
        const wanted =
          lookupOptions.family === 4 || lookupOptions.family === 6
            ? resolved.filter((a) => a.family === lookupOptions.family)
            : resolved;
        if (wanted.length === 0) {
          const err: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
          err.code = 'ENOTFOUND';
          callback(err, '', 0);
          return;
        }
        const forbidden = wanted.find((a) => isForbiddenAddress(a.address));
        if (forbidden && !allowed.has(host)) {
          const err = new LookupError(
            LOOKUP_ERROR_TYPES.forbiddenHost,
            `${options.provider}: refused host ${JSON.stringify(host)}: it resolves to ${forbidden.address}, which is not a public address (configure the host explicitly to allow it)`,
          );
          // The socket fails with this very error, and the HTTP client passes a LookupError through as it is.
          callback(err, '', 0);
          return;
        }
        if (lookupOptions.all) callback(null, wanted);
        else callback(null, wanted[0]!.address, wanted[0]!.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 0),
    );
  };
}
