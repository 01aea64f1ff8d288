// `hactl etcd snapshot|restore` as users run them, against a real SSH server (ssh2's Server running
// commands on this machine, where no etcd member answers): argument checks, refusals with the
// reason, exit statuses.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import EtcdRestore from '../../src/commands/etcd/restore.js';
import EtcdSnapshot from '../../src/commands/etcd/snapshot.js';
import { runCommand } from '../cli/run-command.js';
import { sshFixture, type SshFixture } from '../cli/ssh-fixture.js';

let fx: SshFixture;
let spec: string;

beforeAll(async () => {
  fx = await sshFixture('hactl-etcd-cmd-');
  const port = fx.port;
  spec = fx.writeSpec([
    'apiVersion: hactl.io/v1alpha1',
    'kind: Cluster',
    'metadata:',
    '  name: etcd-cmd',
    'profile: test',
    'ssh: { user: root, privateKeyFile: id, knownHostsFile: known_hosts, connectTimeoutSeconds: 2 }',
    'hosts:',
    `  - { name: cp1, address: 127.0.0.1, roles: [control-plane, worker], ssh: { port: ${port} } }`,
    'kubernetes:',
    '  version: 1.35.4',
    '',
  ]);
});

afterAll(async () => {
  await fx.close();
});

const run = (cmd: typeof EtcdSnapshot | typeof EtcdRestore, argv: string[]) => runCommand(cmd, argv);

describe('hactl etcd snapshot', () => {
  it('no healthy member: says which member answered what, exit 1, no directory made', async () => {
    const out = join(fx.dir, 'snaps');
    const r = await run(EtcdSnapshot, ['-f', spec, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/etcd snapshot failed: no healthy etcd member answered \(cp1: /);
    expect(r.out).toBe('');
  }, 30_000);

  it('a spec that does not load: its diagnostics, exit 1', async () => {
    const bad = join(fx.dir, 'bad.yaml');
    writeFileSync(bad, 'apiVersion: hactl.io/v1alpha1\nkind: Cluster\n');
    const r = await run(EtcdSnapshot, ['-f', bad]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('invalid');
  });
});

describe('hactl etcd restore', () => {
  it('--from is required', async () => {
    const r = await run(EtcdRestore, ['-f', spec]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/Missing required flag/);
  });

  it('a directory that is not a snapshot: exit 1 with the reason, no host touched', async () => {
    const before = fx.server.execs.length;
    const empty = join(fx.dir, 'not-a-snapshot');
    mkdirSync(empty);
    const r = await run(EtcdRestore, ['-f', spec, '--from', empty]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/etcd restore failed: .*not-a-snapshot is not a snapshot directory: cannot read snapshot.json/);
    expect(fx.server.execs.length).toBe(before);
  });
});
