// End to end: `hactl validate` through the real oclif entry point (bin/run.js). The command and
// what it imports are compiled into a scratch package, so the test does not depend on the rest
// of the tree building.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileCli, ROOT, type CliPackage } from '../e2e/support/cli.js';

const INVALID = join(ROOT, 'test/fixtures/specs/invalid');
const VALID = join(ROOT, 'test/fixtures/specs/valid');
let pkg: CliPackage;

beforeAll(() => {
  pkg = compileCli(['validate']);
}, 120_000);

afterAll(() => pkg?.remove());

function hactl(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return pkg.run(args);
}

describe('hactl validate', () => {
  it('exits 0 on a valid spec and says so on stdout', () => {
    const r = hactl('validate', '-f', 'examples/ha-stacked.yaml');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe("examples/ha-stacked.yaml: valid: cluster 'prod-a', 8 hosts, Kubernetes 1.37.2\n");
    expect(r.status).toBe(0);
  });

  it('exits 1 and prints every error as file:line:col: path: message on stderr', () => {
    const file = join(INVALID, 'duplicate-host-name.yaml');
    const r = hactl('validate', '--file', file);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')).toEqual([
      `${file}:7:13: hosts[1].name: host name 'cp1' is already used by hosts[0]`,
      `${file}: invalid (1 error, 0 warnings)`,
      '',
    ]);
  });

  it('prints warnings and still exits 0', () => {
    const file = join(VALID, 'two-control-plane.yaml');
    const r = hactl('validate', '-f', file);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(`${file}:10:45: hosts[4].roles: warning: 2 control-plane hosts are no more fault-tolerant than 1: use 1 or 3\n`);
    expect(r.stdout).toContain('valid');
  });

  it('-o json prints { valid, diagnostics } and keeps the exit code', () => {
    const file = join(INVALID, 'even-external-etcd.yaml');
    const bad = hactl('validate', '-f', file, '-o', 'json');
    expect(bad.status).toBe(1);
    expect(JSON.parse(bad.stdout)).toEqual({
      valid: false,
      diagnostics: [
        {
          severity: 'error',
          file,
          line: 10,
          col: 48,
          path: 'hosts[4].roles[0]',
          message: 'etcd needs an odd number of members to keep quorum, got 4',
        },
      ],
    });
    const good = hactl('validate', '-f', join(VALID, 'one-lb.yaml'), '--output', 'json');
    expect(good.status).toBe(0);
    const parsed = JSON.parse(good.stdout) as { valid: boolean; diagnostics: { severity: string }[] };
    expect(parsed.valid).toBe(true);
    expect(parsed.diagnostics.map((d) => d.severity)).toEqual(['warning']);
  });

  it('a missing file is an error with exit 1; a missing -f is a usage error', () => {
    const r = hactl('validate', '-f', 'no/such/cluster.yaml');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('no/such/cluster.yaml:1:1: (file): cannot read the spec: no such file');
    const usage = hactl('validate');
    expect(usage.status).not.toBe(0);
    expect(usage.stderr).toMatch(/Missing required flag[\s\S]*file/);
  });
});
