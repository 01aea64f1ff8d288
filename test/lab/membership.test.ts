// The lab's `add` and `remove` arguments, its choice of address and its known_hosts update: data
// in, data out (the host-making itself is exercised by test/e2e/replace.test.ts).
import { describe, expect, it } from 'vitest';
import { nextFreeAddress, parseAddArgs, parseRemoveArgs, replaceKnownHost } from './membership.js';

describe('lab add arguments', () => {
  const cases: Array<[string[], ReturnType<typeof parseAddArgs> | RegExp]> = [
    [['cp4'], { name: 'cp4', kind: 'systemd' }],
    [['cp4', '--systemd'], { name: 'cp4', kind: 'systemd' }],
    [['--light', 'l9'], { name: 'l9', kind: 'light' }],
    [['cp1', '--address', '198.18.0.13'], { name: 'cp1', kind: 'systemd', address: '198.18.0.13' }],
    [[], /a host name is needed/],
    [['a', 'b'], /one host at a time \(got a and b\)/],
    [['cp4', '--light', '--systemd'], /--systemd and --light exclude each other/],
    [['cp4', '--fast'], /unknown flag --fast/],
    [['cp4', '--address'], /--address needs a value/],
    [['cp4', '--address', '198.18.0.100'], /198\.18\.0\.100 is not a lab host address/],
    [['cp4', '--address', '10.0.0.1'], /not a lab host address/],
    [['CP4'], /"CP4" is not a lab host name/],
    [['a-very-long-name'], /not a lab host name/],
    [['x;rm'], /not a lab host name/],
  ];
  it.each(cases)('%j', (args, want) => {
    if (want instanceof RegExp) expect(() => parseAddArgs(args)).toThrow(want);
    else expect(parseAddArgs(args)).toEqual(want);
  });
});

describe('lab remove arguments', () => {
  it('takes exactly one valid name', () => {
    expect(parseRemoveArgs(['cp1'])).toEqual({ name: 'cp1' });
    expect(() => parseRemoveArgs([])).toThrow(/a host name is needed/);
    expect(() => parseRemoveArgs(['cp1', 'cp2'])).toThrow(/one host at a time/);
    expect(() => parseRemoveArgs(['cp1', '--force'])).toThrow(/unknown flag --force/);
    expect(() => parseRemoveArgs(['../x'])).toThrow(/not a lab host name/);
  });
});

describe('next free lab address', () => {
  it('is the lowest address nobody uses, skipping the VIP range', () => {
    expect(nextFreeAddress([])).toBe('198.18.0.11');
    expect(nextFreeAddress(['198.18.0.11', '198.18.0.12', '198.18.0.14'])).toBe('198.18.0.13');
    const upTo99 = Array.from({ length: 89 }, (_, i) => `198.18.0.${11 + i}`);
    expect(nextFreeAddress(upTo99)).toBe('198.18.0.110');
  });
});

describe('known_hosts update', () => {
  const text = '198.18.0.11 ssh-ed25519 AAAA1\n198.18.0.13 ssh-ed25519 OLD\n198.18.0.130 ssh-ed25519 AAAA3\n';
  it('replaces the entry of that address only (not one that merely starts alike)', () => {
    expect(replaceKnownHost(text, '198.18.0.13', 'ssh-ed25519 NEW')).toBe(
      '198.18.0.11 ssh-ed25519 AAAA1\n198.18.0.130 ssh-ed25519 AAAA3\n198.18.0.13 ssh-ed25519 NEW\n',
    );
  });
  it('drops it on removal', () => {
    expect(replaceKnownHost(text, '198.18.0.13', undefined)).toBe('198.18.0.11 ssh-ed25519 AAAA1\n198.18.0.130 ssh-ed25519 AAAA3\n');
    expect(replaceKnownHost('198.18.0.13 k\n', '198.18.0.13', undefined)).toBe('');
  });
});
