// `hactl init`: roles by the number of addresses, a spec that passes validation as written, its
// comments, the checks on what is typed, and the command's file handling.
import { DEFAULT_KUBERNETES_VERSION } from '../../src/spec/versions.js';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import Init from '../../src/commands/init.js';
import Validate from '../../src/commands/validate.js';
import { loadSpec } from '../../src/spec/index.js';
import { guessVip, initSpec } from '../../src/spec/init.js';
import { runCommand } from '../cli/run-command.js';

const dir = mkdtempSync(join(tmpdir(), 'hactl-init-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const addresses = (n: number) => Array.from({ length: n }, (_, i) => `10.0.10.${11 + i}`);
const spec = (n: number, vip?: string) =>
  initSpec({ name: 'demo', addresses: addresses(n), ...(vip ? { vip } : {}), kubernetesVersion: DEFAULT_KUBERNETES_VERSION, command: 'hactl init' });

describe('initSpec', () => {
  it.each([
    [1, { node1: ['control-plane', 'worker'] }],
    [2, { cp1: ['control-plane'], worker1: ['worker'] }],
    [3, { cp1: ['control-plane', 'worker'], cp2: ['control-plane', 'worker'], cp3: ['control-plane', 'worker'] }],
    [5, { cp1: ['control-plane'], cp2: ['control-plane'], cp3: ['control-plane'], worker1: ['worker'], worker2: ['worker'] }],
  ])('%i addresses: roles %j, valid as written', (n, roles) => {
    const { text } = spec(n);
    const loaded = loadSpec(text, join(dir, 'cluster.yaml'));
    expect(loaded.diagnostics).toEqual([]);
    expect(Object.fromEntries(loaded.spec!.hosts.map((h) => [h.name, h.roles]))).toEqual(roles);
    expect(loaded.spec!.hosts.map((h) => h.address)).toEqual(addresses(n));
  });

  it('3 or more: a VIP held by keepalived + haproxy, the guess and the interface marked CHECK and noted', () => {
    const { text, notes } = spec(4);
    const s = loadSpec(text, 'c.yaml').spec!;
    expect(s.controlPlaneEndpoint.host).toBe('10.0.10.250');
    expect(s.loadBalancer.type).toBe('keepalived-haproxy');
    expect(text).toMatch(/# CHECK: a guess\. The VIP must be[^\n]*\n[^\n]*\n {2}host: 10\.0\.10\.250\n/);
    expect(text).toMatch(/# CHECK: the network interface[^\n]*\n {4}interface: eth0\n/);
    expect(text).toMatch(/# - \{ name: lb1, address: <address>, roles: \[lb\] \}/);
    expect(notes).toEqual([expect.stringMatching(/10\.0\.10\.250 is a guess/), expect.stringMatching(/interface is eth0/)]);
  });

  it('a VIP given is used and not called a guess; fewer than 3 hosts have no load balancer', () => {
    const { text, notes } = spec(3, '10.0.10.10');
    expect(loadSpec(text, 'c.yaml').spec!.controlPlaneEndpoint.host).toBe('10.0.10.10');
    expect(text).not.toMatch(/a guess/);
    expect(notes).toHaveLength(1);
    expect(spec(2).text).not.toMatch(/loadBalancer|controlPlaneEndpoint/);
  });

  it('the VIP guess skips host addresses', () => {
    expect(guessVip(['10.1.2.250', '10.1.2.249', '10.1.3.248'])).toBe('10.1.2.248');
    expect(guessVip(['fd00::1'])).toBeUndefined();
  });

  it.each([
    [{ addresses: [] }, /give at least one address/],
    [{ addresses: ['10.0.0.1', 'cp2'] }, /"cp2" is not an IPv4 or IPv6 address/],
    [{ addresses: ['10.0.0.1', '10.0.0.01'] }, /10\.0\.0\.01 is given twice|not an IPv4/],
    [{ name: 'x\nprofile: test' }, /--name: "x\\nprofile: test" is not a DNS label/],
    [{ name: 'demo # c' }, /not a DNS label/],
    [{ vip: '10.0.10.11' }, /--vip: 10\.0\.10\.11 is the address of a host/],
    [{ vip: 'vip.example' }, /--vip: "vip\.example" is not an IPv4/],
    [{ addresses: ['fd00::1', 'fd00::2', 'fd00::3'] }, /--vip: give the VIP/],
  ])('refuses %j', (over, message) => {
    expect(() => initSpec({ name: 'demo', addresses: addresses(3), kubernetesVersion: DEFAULT_KUBERNETES_VERSION, command: 'hactl init', ...over })).toThrow(
      message,
    );
  });
});

describe('hactl init', () => {
  it('--out: writes the spec (0644), which hactl validate accepts; never overwrites', async () => {
    const out = join(dir, 'cluster.yaml');
    const r = await runCommand(Init, ['--hosts', '10.0.10.11,10.0.10.12', '--hosts', '10.0.10.13', '--name', 'prod-a', '--vip', '10.0.10.10', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^wrote .*cluster\.yaml: cluster 'prod-a', 3 hosts\ncheck: loadBalancer\.keepalived\.interface is eth0/);
    expect(statSync(out).mode & 0o777).toBe(0o644);
    const v = await runCommand(Validate, ['-f', out]);
    expect(v.code).toBe(0);
    expect(v.out).toMatch(/valid: cluster 'prod-a', 3 hosts/);

    writeFileSync(out, 'mine\n');
    const again = await runCommand(Init, ['--hosts', '10.0.10.11', '--out', out]);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/the file exists \(init never overwrites a spec\)/);
    expect(readFileSync(out, 'utf8')).toBe('mine\n');
  });

  it('without --out: the spec on stdout, notes on stderr', async () => {
    const r = await runCommand(Init, ['--hosts', '10.0.10.11']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^# A starting spec written by `hactl init --hosts 10\.0\.10\.11 --name cluster`/);
    expect(loadSpec(r.out, join(dir, 'x.yaml')).spec?.hosts).toHaveLength(1);
  });

  it('bad input: the reason, exit 1, nothing written', async () => {
    const out = join(dir, 'bad.yaml');
    const r = await runCommand(Init, ['--hosts', '10.0.10.11,not-an-ip', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/init: --hosts: "not-an-ip" is not an IPv4 or IPv6 address/);
    expect(() => statSync(out)).toThrow();
    expect((await runCommand(Init, [])).code).not.toBe(0);
  });
});
