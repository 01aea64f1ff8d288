import { describe, expect, it } from 'vitest';
import { compareVersions } from '../../src/resources/converge.js';
import { versionMatches } from '../../src/resources/desired.js';

describe('versionMatches', () => {
  it.each([
    ['1.35.4-1.1', '1.35.4-*', true],
    ['1.35.4-150500.1.1', '1.35.4-*', true],
    ['0:1.35.4-150500.1.1', '1.35.4-*', true],
    ['1.35.40-1.1', '1.35.4-*', false],
    ['1.35.3-1.1', '1.35.4-*', false],
    ['1.7.24-1', '1.7.24*', true],
    ['1.7.24~ds1-1', '1.7.24*', true],
    ['1.7.24', '1.7.24*', true],
    ['1.7.240-1', '1.7.24*', false],
    ['1.7.2-1', '1.7.24*', false],
    ['2.4.22-1.el9', '2.4.22-1.el9', true],
    ['2.4.22-1.el9', '2.4.22', false],
    ['1.2.3+x', '1.2.3+*', true],
  ])('%s against %s: %s', (installed, wanted, ok) => {
    expect(versionMatches(installed, wanted)).toBe(ok);
  });
});

describe('compareVersions', () => {
  it.each([
    ['1.34.6-150500.1.1', '1.35.4-*', -1],
    ['1.36.1-150500.1.1', '1.35.4-*', 1],
    ['1.35.10-1', '1.35.9-1', 1],
    ['0:1.35.4-1', '1.35.4-1', 0],
    ['1.35.4', '1.35.4-1', -1],
  ])('%s vs %s: %i', (a, b, sign) => {
    expect(Math.sign(compareVersions(a, b))).toBe(sign);
  });
});
