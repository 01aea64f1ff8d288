import { describe, expect, it } from 'vitest';
import { compareDebianVersions, parseDebianVersion, satisfies } from '../../src/bundle/debian-version.js';

const sign = (n: number): number => (n > 0 ? 1 : n < 0 ? -1 : 0);

describe('Debian version comparison (deb-version(7), as dpkg --compare-versions)', () => {
  // [a, b, expected sign of compare(a, b)]: cases from dpkg's own test suite and real archives.
  const cases: [string, string, number][] = [
    ['1.0', '1.0', 0],
    ['1.0', '1.1', -1],
    ['1.10', '1.9', 1],
    ['1.0~rc1', '1.0', -1],
    ['1.0~~', '1.0~', -1],
    ['1.0~', '1.0', -1],
    ['1.0', '1.0+b1', -1],
    ['1.0a', '1.0', 1],
    ['1.0a', '1.0+', -1],
    ['1:0.1', '2.0', 1],
    ['0:1.0', '1.0', 0],
    ['1.0-1', '1.0-2', -1],
    ['1.0-10', '1.0-9', 1],
    ['1.0', '1.0-0', 0],
    ['2.36-9+deb12u4', '2.36-9+deb12u10', -1],
    ['1.6.20~ds1-1+deb12u3', '1.6.20-1', -1],
    ['1.35.4-1.1', '1.35.10-1.1', -1],
    ['001', '1', 0],
    ['1.2.3-1-2', '1.2.3-1-10', -1],
  ];
  for (const [a, b, want] of cases) {
    it(`${a} vs ${b}: ${want}`, () => {
      expect(sign(compareDebianVersions(a, b))).toBe(want);
      expect(sign(compareDebianVersions(b, a))).toBe(want === 0 ? 0 : -want);
    });
  }

  it('splits epoch, upstream and the last hyphen revision', () => {
    expect(parseDebianVersion('1:2.3-4-5')).toEqual({ epoch: 1, upstream: '2.3-4', revision: '5' });
    expect(parseDebianVersion('2.3')).toEqual({ epoch: 0, upstream: '2.3', revision: '' });
  });

  it('relations: >= << = <= >> and the obsolete < >', () => {
    expect(satisfies('1.2', '>=', '1.2')).toBe(true);
    expect(satisfies('1.2', '>>', '1.2')).toBe(false);
    expect(satisfies('1.2~rc1', '<<', '1.2')).toBe(true);
    expect(satisfies('1.2', '<=', '1.2-1')).toBe(true);
    expect(satisfies('1:1.0', '=', '1:1.0')).toBe(true);
    expect(satisfies('1.0', '=', '1:1.0')).toBe(false);
    expect(satisfies('1.3', '<', '1.3')).toBe(true);
    expect(satisfies('1.3', '>', '1.3')).toBe(true);
    expect(() => satisfies('1', '~=', '1')).toThrow(/unknown version relation/);
  });
});
