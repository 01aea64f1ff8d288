// `hactl etcd snapshot|restore` as users run them, against a real SSH server (ssh2's Server running
// commands on this machine, where no etcd member answers): argument checks, refusals with the
// reason, exit statuses.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import EtcdRestore from '../../src/commands/etcd/restore.js';
import EtcdSnapshot from '../../src/commands/etcd/snapshot.js';
import { TestSshServer, knownHostsLine, newKey } from '../transport/ssh-server.js';
import { runCommand } from '../cli/run-command.js';

const dir = mkdtempSync(join(tmpdir(), 'hactl-etcd-cmd-'));
const key = newKey();
let server: TestSshServer;
let spec: string;

beforeAll(async () => {
  writeFileSync(join(dir, 'id'), key.private, { mode: 0o600 });
  server = new TestSshServer({ users: { root: [key.public] } });
  const port = await server.listen();
  writeFileSync(join(dir, 'known_hosts'), knownHostsLine(port, server.hostKey.public));
  spec = join(dir, 'cluster.yaml');
  writeFileSync(
    spec,
    [
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
    ].join('\n'),
  );
});

afterAll(async () => {
  await server.close();
});

const run = (cmd: typeof EtcdSnapshot | typeof EtcdRestore, argv: string[]) => runCommand(cmd, argv);

describe('hactl etcd snapshot', () => {
  it('no healthy member: says which member answered what, exit 1, no directory made', async () => {
    const out = join(dir, 'snaps');
    const r = await run(EtcdSnapshot, ['-f', spec, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/etcd snapshot failed: no healthy etcd member answered \(cp1: /);
    expect(r.out).toBe('');
  }, 30_000);

  it('a spec that does not load: its diagnostics, exit 1', async () => {
    const bad = join(dir, 'bad.yaml');
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
    const before = server.execs.length;
    const empty = join(dir, 'not-a-snapshot');
    mkdirSync(empty);
    const r = await run(EtcdRestore, ['-f', spec, '--from', empty]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/etcd restore failed: .*not-a-snapshot is not a snapshot directory: cannot read snapshot.json/);
    expect(server.execs.length).toBe(before);
  });
});
