import { isIPv4, isIPv6 } from 'node:net';

/**
 * The address a client is rate-limited by.
 *
 * By default the socket's peer address: the gateway is the edge, and X-Forwarded-For is
 * whatever the client chose to write. Behind one trusted proxy (GATEWAY_TRUST_PROXY=true) the
 * last X-Forwarded-For entry is the one that proxy appended — the address it saw — while the
 * entries before it are still the client's own words, so they are ignored.
 */
export function clientAddress(socketAddress: string, forwardedFor: string | undefined, trustProxy: boolean): string {
  return rateLimitKeyOf(clientIp(socketAddress, forwardedFor, trustProxy));
}

/** The client's own address, as far as the gateway can trust it (what services get in X-Forwarded-For). */
export function clientIp(socketAddress: string, forwardedFor: string | undefined, trustProxy: boolean): string {
  if (trustProxy && forwardedFor) {
    const last = forwardedFor.split(',').pop()!.trim();
    if (isIPv4(last) || isIPv6(last)) return last;
  }
  return socketAddress;
}

/**
 * IPv4 as is (also when IPv4-mapped, `::ffff:1.2.3.4`); IPv6 by its /64, because one
 * subscriber usually holds a whole /64 and could otherwise take a new address per request.
 */
export function rateLimitKeyOf(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!isIPv6(address)) return address;
  return `${expandIPv6(address).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, `::` expanded, zone id dropped. */
function expandIPv6(address: string): string[] {
  const [head = '', tail] = address.split('%')[0]!.split('::');
  const groups = (part: string | undefined) => (part ? part.split(':') : []);
  const left = groups(head);
  const right = groups(tail);
  const missing = 8 - left.length - right.length;
  const all = tail === undefined ? left : [...left, ...Array<string>(missing).fill('0'), ...right];
  return all.map((g) => (g.includes('.') ? g : parseInt(g, 16).toString(16)));
}
