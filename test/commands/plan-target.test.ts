// `hactl plan --target`: targets are checked before any host is contacted; the plan shown holds the
// targeted resources (by id, kind or host) and what they depend on, nothing else.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Plan from '../../src/commands/plan.js';
import { closedPort } from '../transport/ssh-server.js';
import { runCommand } from '../cli/run-command.js';
import { sshFixture, type SshFixture } from '../cli/ssh-fixture.js';

let fx: SshFixture;
let spec: string;

beforeAll(async () => {
  const down = await closedPort('127.0.0.2');
  fx = await sshFixture('hactl-plan-target-');
  const port = fx.port;
  spec = fx.writeSpec([
    'apiVersion: hactl.io/v1alpha1',
    'kind: Cluster',
    'metadata: { name: plan-target }',
    'profile: test',
    'ssh: { user: root, privateKeyFile: id, knownHostsFile: known_hosts, connectTimeoutSeconds: 2 }',
    'hosts:',
    `  - { name: cp1, address: 127.0.0.1, roles: [control-plane], ssh: { port: ${port} } }`,
    `  - { name: worker1, address: 127.0.0.2, roles: [worker], ssh: { port: ${down} } }`,
    '',
  ]);
});

afterAll(async () => {
  await fx.close();
});

const ids = (out: string) => (JSON.parse(out) as { changes: { id: string }[] }).changes.map((c) => c.id).sort();

describe('hactl plan --target', () => {
  it('a target that matches nothing: the reason with the kinds there are, exit 1, no host contacted', async () => {
    const r = await runCommand(Plan, ['-f', spec, '--target', 'containrd', '--target', 'cp1']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /--target "containrd" matches no resource of this cluster \(did you mean "containerd" for "containrd"\?\); targets are resource ids \(kind@host\), host names or kinds: .*containerd/,
    );
    expect(r.out).toBe('');
    expect(fx.server.connectionsAccepted).toBe(0);
  });

  it('--target with --out: refused before any host is contacted', async () => {
    const r = await runCommand(Plan, ['-f', spec, '--target', 'cp1', '--out', join(fx.dir, 'plan.json')]);
    expect(r.code).toBe(1);
    expect(fx.server.connectionsAccepted).toBe(0);
  });

  it('a resource id: it and its ancestors only', async () => {
    const r = await runCommand(Plan, ['-f', spec, '--target', 'containerd@worker1', '-o', 'json']);
    expect(ids(r.out)).toEqual(['containerd@worker1', 'os-prep@worker1', 'package-sources@worker1', 'preflight@worker1']);
    expect(r.err).toMatch(/Only containerd@worker1 and what it depends on/);
  }, 30_000);

  it("a host name: that host's resources and their ancestors, no cluster-wide resource of their own", async () => {
    const whole = ids((await runCommand(Plan, ['-f', spec, '-o', 'json'])).out);
    const r = await runCommand(Plan, ['-f', spec, '--target', 'cp1', '-o', 'json']);
    const targeted = ids(r.out);
    expect(targeted.length).toBeLessThan(whole.length);
    expect(targeted).toEqual(expect.arrayContaining(whole.filter((id) => id.endsWith('@cp1'))));
    expect(targeted.filter((id) => id.endsWith('@worker1'))).toEqual([]);
  }, 60_000);
});
