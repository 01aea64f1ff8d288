// Small pure IPv4/IPv6 address and CIDR helpers for the spec's network checks. Addresses are held
// as bigints so both families share one code path; no dependency is worth it for this much.

export type IpFamily = 4 | 6;

export interface IpAddress {
  family: IpFamily;
  value: bigint;
}

export interface Cidr {
  family: IpFamily;
  /** Network address as written (host bits may be set; see `hasHostBits`). */
  value: bigint;
  prefix: number;
}

const BITS: Record<IpFamily, number> = { 4: 32, 6: 128 };

export function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    // No leading zeros: "010" is octal to some tools and decimal to others.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

export function parseIpv6(text: string): bigint | undefined {
  if (text.length === 0 || text.length > 45) return undefined;
  let head = text;
  let tailV4: bigint | undefined;
  // An embedded IPv4 address (::ffff:10.0.0.1) occupies the last two groups.
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    tailV4 = parseIpv4(text.slice(lastColon + 1));
    if (tailV4 === undefined) return undefined;
    head = text.slice(0, lastColon + 1) + '0:0';
  }
  const doubleColon = head.indexOf('::');
  if (doubleColon !== head.lastIndexOf('::')) return undefined;
  let groups: string[];
  if (doubleColon >= 0) {
    const left = head.slice(0, doubleColon);
    const right = head.slice(doubleColon + 2);
    const l = left === '' ? [] : left.split(':');
    const r = right === '' ? [] : right.split(':');
    const missing = 8 - l.length - r.length;
    if (missing < 1) return undefined;
    groups = [...l, ...Array<string>(missing).fill('0'), ...r];
  } else {
    groups = head.split(':');
  }
  if (groups.length !== 8) return undefined;
  let value = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    value = (value << 16n) | BigInt(parseInt(g, 16));
  }
  if (tailV4 !== undefined) value = (value & ~0xffffffffn) | tailV4;
  return value;
}

export function parseIp(text: string): IpAddress | undefined {
  if (typeof text !== 'string') return undefined;
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { family: 4, value: v4 };
  const v6 = parseIpv6(text);
  if (v6 !== undefined) return { family: 6, value: v6 };
  return undefined;
}

export function parseCidr(text: string): Cidr | undefined {
  if (typeof text !== 'string') return undefined;
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIp(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (ip === undefined || !/^(0|[1-9][0-9]{0,2})$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > BITS[ip.family]) return undefined;
  return { family: ip.family, value: ip.value, prefix };
}

function mask(family: IpFamily, prefix: number): bigint {
  const bits = BITS[family];
  return ((1n << BigInt(prefix)) - 1n) << BigInt(bits - prefix);
}

export function networkOf(c: Cidr): bigint {
  return c.value & mask(c.family, c.prefix);
}

export function hasHostBits(c: Cidr): boolean {
  return networkOf(c) !== c.value;
}

export function cidrContains(c: Cidr, ip: IpAddress): boolean {
  return c.family === ip.family && (ip.value & mask(c.family, c.prefix)) === networkOf(c);
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  // Two prefixes overlap iff they agree on the bits of the shorter one.
  const p = Math.min(a.prefix, b.prefix);
  const m = mask(a.family, p);
  return (a.value & m) === (b.value & m);
}

/** Whether two addresses lie in the same /prefix network. */
export function sameSubnet(a: IpAddress, b: IpAddress, prefix: number): boolean {
  if (a.family !== b.family || prefix > BITS[a.family]) return false;
  const m = mask(a.family, prefix);
  return (a.value & m) === (b.value & m);
}

const SPECIAL: { cidr: string; what: string; loopback?: true }[] = [
  { cidr: '0.0.0.0/8', what: 'an unspecified ("this network") address' },
  { cidr: '127.0.0.0/8', what: 'a loopback address', loopback: true },
  { cidr: '224.0.0.0/4', what: 'a multicast address' },
  { cidr: '255.255.255.255/32', what: 'the broadcast address' },
  { cidr: '::/128', what: 'the unspecified address' },
  { cidr: '::1/128', what: 'the loopback address', loopback: true },
  { cidr: 'ff00::/8', what: 'a multicast address' },
];
const SPECIAL_CIDRS = SPECIAL.map((s) => ({ ...s, cidr: parseCidr(s.cidr)! }));

/**
 * What a host or VIP address cannot be (unspecified, loopback, multicast, broadcast), or undefined.
 * `allowLoopback`: a cluster wholly on this machine, where loopback is how its hosts reach each other.
 */
export function unusableAddress(ip: IpAddress, opts: { allowLoopback?: boolean } = {}): string | undefined {
  return SPECIAL_CIDRS.find((s) => cidrContains(s.cidr, ip) && !(opts.allowLoopback && s.loopback))?.what;
}

export function isLoopback(ip: IpAddress): boolean {
  return SPECIAL_CIDRS.some((s) => s.loopback === true && cidrContains(s.cidr, ip));
}

/** For an IPv4 /prefix below /31: whether `ip` is its network's own address or its broadcast address. */
export function networkOrBroadcast(ip: IpAddress, prefix: number): 'network' | 'broadcast' | undefined {
  if (ip.family !== 4 || prefix >= 31) return undefined;
  const net = networkOf({ family: 4, value: ip.value, prefix });
  if (ip.value === net) return 'network';
  if (ip.value === (net | (~mask(4, prefix) & 0xffffffffn))) return 'broadcast';
  return undefined;
}

export function formatIp(ip: IpAddress): string {
  if (ip.family === 4) {
    return [24n, 16n, 8n, 0n].map((s) => String((ip.value >> s) & 0xffn)).join('.');
  }
  const groups: string[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) groups.push(((ip.value >> s) & 0xffffn).toString(16));
  // RFC 5952: compress the longest run (length >= 2) of zero groups.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLen).join(':')}`;
}

export function formatCidr(c: Cidr): string {
  return `${formatIp({ family: c.family, value: c.value })}/${c.prefix}`;
}

/** Canonical key of an address, so 10.0.0.1 and ::a spelled two ways compare equal. */
export function ipKey(ip: IpAddress): string {
  return `${ip.family}:${ip.value.toString(16)}`;
}

export function cidrSize(c: Cidr): bigint {
  return 1n << BigInt(BITS[c.family] - c.prefix);
}
