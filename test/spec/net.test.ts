import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cidrContains,
  cidrsOverlap,
  formatCidr,
  formatIp,
  hasHostBits,
  ipKey,
  networkOf,
  parseCidr,
  parseIp,
  parseIpv4,
  parseIpv6,
  sameSubnet,
} from '../../src/spec/net.js';

const ip = (s: string) => {
  const a = parseIp(s);
  if (a === undefined) throw new Error(`bad test address ${s}`);
  return a;
};
const cidr = (s: string) => {
  const c = parseCidr(s);
  if (c === undefined) throw new Error(`bad test CIDR ${s}`);
  return c;
};

describe('addresses', () => {
  it('parses IPv4 strictly', () => {
    expect(parseIpv4('10.0.0.1')).toBe(0x0a000001n);
    expect(parseIpv4('255.255.255.255')).toBe(0xffffffffn);
    for (const bad of ['10.0.0', '10.0.0.256', '10.0.0.01', '10.0.0.1.', 'a.b.c.d', '', '1.2.3.-4']) {
      expect(parseIpv4(bad), bad).toBeUndefined();
    }
  });

  it('parses IPv6 forms, including :: and an embedded IPv4 tail', () => {
    expect(parseIpv6('::')).toBe(0n);
    expect(parseIpv6('::1')).toBe(1n);
    expect(parseIpv6('fd00::1')).toBe((0xfd00n << 112n) | 1n);
    expect(parseIpv6('::ffff:10.0.0.1')).toBe((0xffffn << 32n) | 0x0a000001n);
    expect(parseIpv6('1:2:3:4:5:6:7:8')).toBe(0x00010002000300040005000600070008n);
    for (const bad of ['1::2::3', '1:2:3:4:5:6:7:8:9', 'fffff::', '::g', ':', '1:2:3:4:5:6:7::8:9']) {
      expect(parseIpv6(bad), bad).toBeUndefined();
    }
  });

  it('formats IPv6 in the RFC 5952 short form and gives equal keys to equal addresses', () => {
    expect(formatIp(ip('fd00:0:0:0:0:0:0:1'))).toBe('fd00::1');
    expect(formatIp(ip('1:0:0:2:0:0:0:3'))).toBe('1:0:0:2::3');
    expect(ipKey(ip('FD00::1'))).toBe(ipKey(ip('fd00:0::0:1')));
    expect(ipKey(ip('10.0.0.1'))).not.toBe(ipKey(ip('::a00:1')));
  });

  it('IPv4 format and parse are inverse', () => {
    fc.assert(
      fc.property(fc.ipV4(), (s) => {
        expect(formatIp(ip(s))).toBe(s);
      }),
    );
  });

  it('IPv6 parse of the formatted form gives the same value', () => {
    fc.assert(
      fc.property(fc.ipV6(), (s) => {
        const a = parseIp(s);
        expect(a).toBeDefined();
        expect(parseIp(formatIp(a!))).toEqual(a);
      }),
    );
  });
});

describe('CIDRs', () => {
  it('parses, rejects bad prefixes, and spots host bits', () => {
    expect(cidr('10.244.0.0/16')).toEqual({ family: 4, value: 0x0af40000n, prefix: 16 });
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
    expect(parseCidr('10.0.0.0')).toBeUndefined();
    expect(parseCidr('10.0.0.0/016')).toBeUndefined();
    expect(parseCidr('fd00::/129')).toBeUndefined();
    expect(hasHostBits(cidr('10.244.1.0/16'))).toBe(true);
    expect(formatCidr({ ...cidr('10.244.1.0/16'), value: networkOf(cidr('10.244.1.0/16')) })).toBe('10.244.0.0/16');
    expect(hasHostBits(cidr('fd00:1::/32'))).toBe(false);
  });

  it('containment and overlap', () => {
    expect(cidrContains(cidr('10.96.0.0/12'), ip('10.111.255.255'))).toBe(true);
    expect(cidrContains(cidr('10.96.0.0/12'), ip('10.112.0.0'))).toBe(false);
    expect(cidrContains(cidr('0.0.0.0/0'), ip('192.168.1.1'))).toBe(true);
    expect(cidrContains(cidr('10.0.0.0/8'), ip('::a00:1'))).toBe(false);
    expect(cidrsOverlap(cidr('10.244.0.0/16'), cidr('10.96.0.0/12'))).toBe(false);
    expect(cidrsOverlap(cidr('10.96.0.0/16'), cidr('10.96.0.0/12'))).toBe(true);
    expect(cidrsOverlap(cidr('fd00::/48'), cidr('fd00:0:0:1::/64'))).toBe(true);
    expect(cidrsOverlap(cidr('fd00::/48'), cidr('fd01::/48'))).toBe(false);
    expect(sameSubnet(ip('10.0.0.5'), ip('10.0.0.250'), 24)).toBe(true);
    expect(sameSubnet(ip('10.0.0.5'), ip('10.0.1.5'), 24)).toBe(false);
    expect(sameSubnet(ip('10.0.0.5'), ip('10.0.1.5'), 23)).toBe(true);
  });

  it('two IPv4 CIDRs overlap exactly when one contains the network address of the other', () => {
    const arb = fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 })).map(([a, p]) => {
      const c = cidr(`${a}/${p}`);
      return { ...c, value: networkOf(c) };
    });
    fc.assert(
      fc.property(arb, arb, (a, b) => {
        const expected = cidrContains(a, { family: 4, value: b.value }) || cidrContains(b, { family: 4, value: a.value });
        expect(cidrsOverlap(a, b)).toBe(expected);
        expect(cidrsOverlap(b, a)).toBe(expected);
      }),
    );
  });
});
