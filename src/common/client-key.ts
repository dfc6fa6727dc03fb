import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { Request } from 'express';
import { isIPv4, isIPv6 } from 'node:net';

/** The IPv6 prefix one client is assumed to own when nothing else is configured (a home or a server gets a /64). */
export const DEFAULT_IPV6_CLIENT_PREFIX = 64;

/**
 * The key under which a requester is counted by the rate limits: an IPv4 address as it is, an
 * IPv6 address cut to its first `ipv6Prefix` bits (one subscriber gets a whole /64, so counting
 * single IPv6 addresses would give them 2^64 budgets), and IPv4-mapped IPv6 (`::ffff:1.2.3.4`,
 * what a dual-stack socket reports) as the IPv4 address it is.
 * Anything that is not an IP address is returned as it is; a missing one is `unknown`.
 */
export function clientKey(ip: string | undefined, ipv6Prefix = DEFAULT_IPV6_CLIENT_PREFIX): string {
  if (!ip) return 'unknown';
  const address = ip.trim();
  if (isIPv4(address)) return address;
  // A zone (fe80::1%eth0) names the interface, not the client.
  const withoutZone = address.replace(/%.*$/, '');
  if (!isIPv6(withoutZone)) return address;
  const groups = ipv6Groups(withoutZone);
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    return [groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff].join('.');
  }
  const prefix = Math.min(128, Math.max(0, Math.floor(ipv6Prefix)));
  const masked = groups.map((group, index) => {
    const bitsKept = Math.min(16, Math.max(0, prefix - index * 16));
    return bitsKept === 0 ? 0 : group & (0xffff << (16 - bitsKept)) & 0xffff;
  });
  return `${masked.map((group) => group.toString(16)).join(':')}/${prefix}`;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a dotted IPv4 tail converted). */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const parse = (part: string | undefined): number[] => (part ? part.split(':').map((group) => parseInt(group, 16)) : []);
  const first = parse(head);
  const last = parse(tail);
  const zeros = tail === undefined ? [] : new Array<number>(8 - first.length - last.length).fill(0);
  return [...first, ...zeros, ...last];
}

/** Set on every request once (by the client-key middleware), before guards and controllers read it. */
export interface RequestWithClientKey extends Request {
  clientKey?: string;
}

/** The rate-limit key of the client that sent `req`. */
export function requestClientKey(req: Request): string {
  return (req as RequestWithClientKey).clientKey ?? clientKey(req.ip);
}

/** The rate-limit key of the client (see `clientKey`): use it wherever a requester is counted, never the raw IP. */
export const ClientKey = createParamDecorator((_data: unknown, context: ExecutionContext): string =>
  requestClientKey(context.switchToHttp().getRequest<Request>()),
);
