// `hactl facts` against a real SSH server (ssh2's Server running the probe on this machine) and
// a host that refuses connections: the reachable host is shown, the other reported, exit 1.
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Facts from '../../src/commands/facts.js';
import { closedPort } from '../transport/ssh-server.js';
import { runCommand } from '../cli/run-command.js';
import { sshFixture, type SshFixture } from '../cli/ssh-fixture.js';

let fx: SshFixture;
let spec: string;
let downPort: number;

beforeAll(async () => {
  downPort = await closedPort('127.0.0.2');
  fx = await sshFixture('hactl-facts-cmd-', [['127.0.0.2', downPort]]);
  const port = fx.port;
  spec = fx.writeSpec([
    'apiVersion: hactl.io/v1alpha1',
    'kind: Cluster',
    'metadata:',
    '  name: facts-test',
    'profile: test',
    'ssh:',
    '  user: root',
    '  privateKeyFile: id',
    '  knownHostsFile: known_hosts',
    '  connectTimeoutSeconds: 2',
    'hosts:',
    '  - name: up1',
    '    address: 127.0.0.1',
    '    roles: [control-plane, worker]',
    `    ssh: { port: ${port} }`,
    '  - name: down1',
    '    address: 127.0.0.2',
    '    roles: [worker]',
    `    ssh: { port: ${downPort} }`,
    'kubernetes:',
    '  version: 1.36.4',
    '',
  ]);
});

afterAll(async () => {
  await fx.close();
});

const run = (argv: string[]) => runCommand(Facts, argv);

describe('hactl facts', () => {
  it('shows reachable hosts, reports the unreachable one with its reason, exits 1 (json)', async () => {
    const before = fx.server.execs.length;
    const r = await run(['-f', spec, '-o', 'json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.out) as { hosts: { name: string; reachable: boolean; facts: { hostname: string }; reason: string; error: string }[] };
    expect(doc.hosts.map((h) => [h.name, h.reachable])).toEqual([
      ['up1', true],
      ['down1', false],
    ]);
    expect(doc.hosts[0]!.facts.hostname).toBe(hostname());
    expect(doc.hosts[1]!.reason).toMatch(/ECONNREFUSED/);
    expect(doc.hosts[1]!.error).toBe('HostUnreachableError');
    // One remote command for the whole observation of a host.
    expect(fx.server.execs.length - before).toBe(1);
  }, 30_000);

  it('--host narrows to one host; text output is a compact summary', async () => {
    const r = await run(['-f', spec, '--host', 'up1']);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`up1 (127.0.0.1): observed in`);
    expect(r.out).toMatch(/CPU, [\d.]+ GiB memory/);
    expect(r.out).toMatch(/; init \w+; cgroup (v1|hybrid|v2|unknown)\n/);
    expect(r.out).toContain('1 of 1 hosts observed');
    expect(r.out).not.toContain('down1');
  });

  it('an unknown --host is an error', async () => {
    const r = await run(['-f', spec, '--host', 'nope']);
    // A usage error: 1, as every command's (2 means drift or changes elsewhere).
    expect(r.code).toBe(1);
    expect(r.err).toContain('no such host');
  });
});
