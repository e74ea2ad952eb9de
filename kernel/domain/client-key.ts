import { isIP, isIPv6 } from 'node:net';

/** Whether a string is an IPv4 or IPv6 address (node:net's syntax check, no I/O; kept here so apps' domain rules need no node:net). */
export const isIpAddress = (text: string): boolean => isIP(text) !== 0;

/**
 * The key a client address is counted under (the gateway's rate limit, the user service's hash
 * budget and failed sign-ins): IPv4 as is (also when IPv4-mapped, `::ffff:1.2.3.4`); IPv6 by its
 * /64, because one subscriber usually holds a whole /64 and could otherwise take a new address
 * per request. Anything else (an app id) is kept as it is.
 */
export function clientKeyOf(address: string): string {
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
