import { clientKeyOf, isIpAddress } from '../../../../kernel/domain/client-key';

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
    if (isIpAddress(last)) return last;
  }
  return socketAddress;
}

/** The rate-limit key of an address (IPv6 by /64): the kernel's rule, shared with the user service. */
export const rateLimitKeyOf = clientKeyOf;
