import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SshConnector, type HostTarget } from '../../src/transport/ssh.js';
import { command, Sensitive } from '../../src/transport/sensitive.js';
import { HostPool } from '../../src/transport/pool.js';
import { fingerprint } from '../../src/transport/known-hosts.js';
import {
  AuthError,
  CommandTimeoutError,
  ConnectionLostError,
  HostKeyMismatchError,
  HostUnreachableError,
  ReadOnlyViolationError,
  RevokedHostKeyError,
  SudoPasswordRequiredError,
  UnknownHostKeyError,
  observation,
} from '../../src/transport/transport.js';
import { TestSshServer, closedPort, knownHostsLine, newKey, publicBlob } from './ssh-server.js';

const dir = mkdtempSync(join(tmpdir(), 'hactl-transport-'));
const clientKey = newKey();
const otherKey = newKey();
const keyFile = join(dir, 'id_ed25519');
const otherKeyFile = join(dir, 'other_ed25519');
writeFileSync(keyFile, clientKey.private, { mode: 0o600 });
writeFileSync(otherKeyFile, otherKey.private, { mode: 0o600 });

let server: TestSshServer;
let knownHosts: string;
let counter = 0;

function target(over: Partial<HostTarget['ssh']> = {}, name = 'h1', port = server.port): HostTarget {
  return {
    name,
    address: '127.0.0.1',
    ssh: {
      user: 'root',
      port,
      privateKeyFile: keyFile,
      knownHostsFile: knownHosts,
      sudo: false,
      connectTimeoutSeconds: 5,
      ...over,
    },
  };
}

function freshKnownHosts(content: string): string {
  const f = join(dir, `known_hosts.${++counter}`);
  writeFileSync(f, content);
  return f;
}

beforeAll(async () => {
  server = new TestSshServer({ users: { root: [clientKey.public], deploy: [clientKey.public] } });
  await server.listen();
  knownHosts = freshKnownHosts(`# test\nother.example ssh-ed25519 ${newKey().public.split(' ')[1]}\n${knownHostsLine(server.port, server.hostKey.public)}`);
});

afterAll(async () => {
  await server.close();
});

describe('ssh transport against ssh2 Server', () => {
  it('connects with a key file, runs commands with stdin, and reuses the connection', async () => {
    const conn = new SshConnector();
    const t = await conn.connect(target());
    const before = server.connectionsAccepted;
    const r = await t.exec('read x; echo "got $x"; echo err >&2; exit 3', { stdin: 'hello\n' });
    expect(r).toMatchObject({ code: 3, stdout: 'got hello\n', stderr: 'err\n' });
    expect(r.durationMs).toBeGreaterThan(0);
    const r2 = await t.exec('echo again');
    expect(r2.stdout).toBe('again\n');
    expect(server.connectionsAccepted).toBe(before); // same connection
    await t.close();
  });

  it('reads files (absent ones as undefined) and writes them atomically with mode', async () => {
    const t = await new SshConnector().connect(target());
    const path = join(server.home, 'sub-write.conf');
    expect(await t.readFile(path)).toBeUndefined();
    const nasty = "line 1\n'quoted' $HOME `x` \\ \0 binary\xff\n";
    await t.writeFile(path, Buffer.from(nasty, 'latin1'), { mode: 0o640 });
    expect(readFileSync(path).equals(Buffer.from(nasty, 'latin1'))).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o640);
    expect((await t.readFile(path))!.equals(Buffer.from(nasty, 'latin1'))).toBe(true);
    await t.writeFile(path, 'second\n', { mode: 0o600, owner: 'root', group: 'root' });
    expect(readFileSync(path, 'utf8')).toBe('second\n');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    // No temp files left behind.
    expect(readdirSync(server.home).filter((f) => f.startsWith('.hactl'))).toEqual([]);
    await expect(t.writeFile(join(server.home, 'no-such-dir', 'f'), 'x', { mode: 0o644 })).rejects.toThrow(/write .*exited/);
    await t.close();
  });

  it('uploads over SFTP into place with mode', async () => {
    const t = await new SshConnector().connect(target());
    const local = join(dir, 'payload.bin');
    const data = Buffer.alloc(200_000, 7);
    writeFileSync(local, data);
    const remote = join(server.home, 'uploaded.bin');
    await t.upload(local, remote, 0o755);
    expect(readFileSync(remote).equals(data)).toBe(true);
    expect(statSync(remote).mode & 0o777).toBe(0o755);
    expect(readdirSync(server.home).filter((f) => f.startsWith('.hactl'))).toEqual([]);
    await t.close();
  });

  it('wrong credentials: AuthError, and no retry', async () => {
    const attempts = server.authAttempts;
    const accepted = server.connectionsAccepted;
    const err = await new SshConnector({ backoffMs: 10 }).connect(target({ privateKeyFile: otherKeyFile })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as AuthError).message).toMatch(/h1: authentication as root failed/);
    expect(server.connectionsAccepted).toBe(accepted + 1);
    expect(server.authAttempts).toBeGreaterThan(attempts);
  });

  it('a missing passphrase variable is an AuthError naming the variable, not its value', async () => {
    const err = await new SshConnector({ env: {} }).connect(target({ passphraseEnv: 'HACTL_TEST_PASSPHRASE' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as Error).message).toContain('HACTL_TEST_PASSPHRASE');
  });

  it('an encrypted key file is opened with the passphrase from the named variable', async () => {
    const enc = newKey('ed25519', { passphrase: 'correct horse', cipher: 'aes256-cbc', rounds: 4 });
    const encFile = join(dir, 'id_encrypted');
    writeFileSync(encFile, enc.private, { mode: 0o600 });
    const srv = new TestSshServer({ hostKey: server.hostKey, users: { root: [enc.public] } });
    const port = await srv.listen();
    try {
      const kh = freshKnownHosts(knownHostsLine(port, server.hostKey.public));
      const t = await new SshConnector({ env: { HACTL_KEY_PASS: 'correct horse' } }).connect(
        target({ port, knownHostsFile: kh, privateKeyFile: encFile, passphraseEnv: 'HACTL_KEY_PASS' }),
      );
      expect((await t.exec('echo unlocked')).stdout).toBe('unlocked\n');
      await t.close();
      const err = (await new SshConnector({ env: { HACTL_KEY_PASS: 'wrong horse' } })
        .connect(target({ port, knownHostsFile: kh, privateKeyFile: encFile, passphraseEnv: 'HACTL_KEY_PASS' }))
        .catch((e: unknown) => e)) as Error;
      expect(err).toBeInstanceOf(AuthError);
      expect(err.message).not.toContain('wrong horse');
    } finally {
      await srv.close();
    }
  });

  it('authenticates through ssh-agent when no key file is configured', async () => {
    const sock = join(dir, 'agent.sock');
    const agentOut = execFileSync('ssh-agent', ['-a', sock, '-s'], { encoding: 'utf8' });
    const pid = Number(/SSH_AGENT_PID=(\d+)/.exec(agentOut)![1]);
    try {
      execFileSync('ssh-add', [keyFile], { env: { SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
      const t = await new SshConnector({ env: { SSH_AUTH_SOCK: sock } }).connect(target({ privateKeyFile: undefined }));
      expect((await t.exec('echo via-agent')).stdout).toBe('via-agent\n');
      await t.close();
      const err = await new SshConnector({ env: {} }).connect(target({ privateKeyFile: undefined })).catch((e: unknown) => e);
      expect((err as Error).message).toMatch(/SSH_AUTH_SOCK is not set/);
    } finally {
      process.kill(pid, 'SIGTERM');
    }
  });

  it('host key mismatch: hard error naming the host and both fingerprints', async () => {
    const impostor = newKey();
    const kh = freshKnownHosts(knownHostsLine(server.port, impostor.public));
    const accepted = server.connectionsAccepted;
    const err = await new SshConnector({ acceptNewHostKeys: true }).connect(target({ knownHostsFile: kh })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostKeyMismatchError);
    const e = err as HostKeyMismatchError;
    expect(e.host).toBe('h1');
    expect(e.expected).toEqual([fingerprint(publicBlob(impostor.public))]);
    expect(e.presented).toBe(fingerprint(publicBlob(server.hostKey.public)));
    expect(e.message).toContain(e.expected[0]);
    expect(e.message).toContain(e.presented);
    // --accept-new-host-keys never overrides a mismatch, and nothing is retried.
    expect(readFileSync(kh, 'utf8')).toBe(knownHostsLine(server.port, impostor.public));
    expect(server.connectionsAccepted).toBe(accepted + 1);
  });

  it('unknown host: refused by default; recorded and trusted with accept-new-host-keys', async () => {
    const kh = freshKnownHosts('');
    const err = await new SshConnector().connect(target({ knownHostsFile: kh })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownHostKeyError);
    expect((err as UnknownHostKeyError).presented).toBe(fingerprint(publicBlob(server.hostKey.public)));
    expect(readFileSync(kh, 'utf8')).toBe('');

    const t = await new SshConnector({ acceptNewHostKeys: true }).connect(target({ knownHostsFile: kh }));
    await t.close();
    expect(readFileSync(kh, 'utf8')).toBe(knownHostsLine(server.port, server.hostKey.public));
    // Now known: a strict connection succeeds, and OpenSSH agrees with what was written.
    const t2 = await new SshConnector().connect(target({ knownHostsFile: kh }));
    await t2.close();
    const found = execFileSync('ssh-keygen', ['-F', `[127.0.0.1]:${server.port}`, '-f', kh], { encoding: 'utf8' });
    expect(found).toContain(server.hostKey.public.split(' ')[1]);
  });

  it('hashed known_hosts entries (hashed by OpenSSH ssh-keygen -H) match', async () => {
    const kh = freshKnownHosts(knownHostsLine(server.port, server.hostKey.public));
    execFileSync('ssh-keygen', ['-H', '-f', kh], { stdio: 'ignore' });
    const text = readFileSync(kh, 'utf8');
    expect(text.startsWith('|1|')).toBe(true);
    expect(text).not.toContain('127.0.0.1');
    const t = await new SshConnector().connect(target({ knownHostsFile: kh }));
    expect((await t.exec('echo ok')).stdout).toBe('ok\n');
    await t.close();
  });

  it('a key marked @revoked is refused even when also listed', async () => {
    const line = knownHostsLine(server.port, server.hostKey.public);
    const kh = freshKnownHosts(`@revoked ${line}${line}`);
    const err = await new SshConnector().connect(target({ knownHostsFile: kh })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RevokedHostKeyError);
  });

  it('a hung command hits its timeout, and the channel is closed (process killed)', async () => {
    const t = await new SshConnector().connect(target());
    const started = Date.now();
    const err = await t.exec('sleep 30', { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandTimeoutError);
    expect(Date.now() - started).toBeLessThan(3000);
    await expect.poll(() => server.closedChannels.find((c) => c.command === 'sleep 30'), { timeout: 3000 }).toBeTruthy();
    // The connection stays usable.
    expect((await t.exec('echo alive')).stdout).toBe('alive\n');
    await t.close();
  });

  it('secrets never appear in errors', async () => {
    const t = await new SshConnector().connect(target());
    const token = 'abcdef.0123456789abcdef';
    const err = (await t.exec(command`echo ${new Sensitive(token)} >/dev/null; sleep 30`, { timeoutMs: 200 }).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(CommandTimeoutError);
    expect(err.message).not.toContain(token);
    expect(err.message).toContain('echo (sensitive value) >/dev/null');
    expect(server.execs).toContain(`echo ${token} >/dev/null; sleep 30`);
    await t.close();
  });

  it('a connection dropped mid-command: ConnectionLostError, and the pool reconnects', async () => {
    const pool = new HostPool({ readOnly: false });
    const h = target({}, 'dropper');
    const running = pool.run(h, (t) => t.exec('sleep 20'));
    await expect.poll(() => server.execs.filter((c) => c === 'sleep 20').length, { timeout: 3000 }).toBe(1);
    server.dropAll();
    const err = await running.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionLostError);
    expect((err as Error).message).toMatch(/dropper: connection lost while running sleep 20/);
    // The next use of the host opens a new connection.
    expect((await pool.run(h, (t) => t.exec('echo back'))).stdout).toBe('back\n');
    await pool.close();
  });

  it('sudo wanting a password: SudoPasswordRequiredError naming host and user', async () => {
    const pwServer = new TestSshServer({ hostKey: server.hostKey, users: { deploy: [clientKey.public] }, sudoNeedsPassword: true });
    const port = await pwServer.listen();
    try {
      const kh = freshKnownHosts(knownHostsLine(port, server.hostKey.public));
      const t = await new SshConnector().connect(target({ user: 'deploy', sudo: true, knownHostsFile: kh, port }, 'h-sudo'));
      const err = (await t.exec('id -u').catch((e: unknown) => e)) as SudoPasswordRequiredError;
      expect(err).toBeInstanceOf(SudoPasswordRequiredError);
      expect(err.message).toMatch(/h-sudo: sudo asks deploy for a password/);
      expect(pwServer.execs.at(-1)).toBe("sudo -n -- sh -c 'id -u'");
      // Without sudo the same connection works.
      expect((await t.exec('echo plain', { sudo: false })).stdout).toBe('plain\n');
      await t.close();
    } finally {
      await pwServer.close();
    }
  });

  it('sudo for non-root users wraps the command in sudo -n -- sh -c, quoted', async () => {
    const t = await new SshConnector().connect(target({ user: 'deploy', sudo: true }));
    const r = await t.exec(`printf '%s' "it's"`);
    expect(r.stdout).toBe("it's");
    expect(server.execs.at(-1)).toBe(`sudo -n -- sh -c 'printf '\\''%s'\\'' "it'\\''s"'`);
    await t.close();
  });

  it('retries refused connections with backoff, and connects once the host listens', async () => {
    const port = await closedPort();
    const kh = freshKnownHosts(knownHostsLine(port, server.hostKey.public));

    const logs: string[] = [];
    const started = Date.now();
    const err = await new SshConnector({ attempts: 3, backoffMs: 50, log: (l) => logs.push(l) })
      .connect(target({ port, knownHostsFile: kh }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostUnreachableError);
    expect((err as Error).message).toMatch(/ECONNREFUSED/);
    expect(logs.filter((l) => l.includes('retrying'))).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150); // 50 + 100

    const late = new TestSshServer({ hostKey: server.hostKey, users: { root: [clientKey.public] } });
    setTimeout(() => void late.listen(port), 120);
    try {
      const t = await new SshConnector({ attempts: 5, backoffMs: 50 }).connect(target({ port, knownHostsFile: kh }));
      expect((await t.exec('echo late')).stdout).toBe('late\n');
      await t.close();
    } finally {
      await late.close();
    }
  });

  it('a host that accepts TCP but never speaks SSH times out, and is retried only once', async () => {
    let accepted = 0;
    const silent = createServer((sock) => {
      accepted++;
      sock.on('error', () => undefined);
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as AddressInfo).port;
    try {
      const err = await new SshConnector({ attempts: 5, backoffMs: 20 })
        .connect(target({ port, connectTimeoutSeconds: 1, knownHostsFile: freshKnownHosts('') }))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HostUnreachableError);
      expect((err as Error).message).toMatch(/timed out waiting for the SSH handshake/);
      expect(accepted).toBe(2);
    } finally {
      silent.close();
    }
  });

  it('reaches a host through a bastion (forwarded channel), both host keys checked', async () => {
    const bastion = new TestSshServer({ users: { jump: [clientKey.public] }, forwarding: true });
    const bport = await bastion.listen();
    try {
      const kh = freshKnownHosts(knownHostsLine(server.port, server.hostKey.public) + knownHostsLine(bport, bastion.hostKey.public));
      const h = target({ knownHostsFile: kh, bastion: { address: '127.0.0.1', port: bport, user: 'jump', privateKeyFile: keyFile } }, 'behind');
      const pool = new HostPool({ readOnly: false });
      const r = await pool.run(h, (t) => t.exec('echo via-bastion'));
      expect(r.stdout).toBe('via-bastion\n');
      expect(bastion.forwards).toEqual([`127.0.0.1:${server.port}`]);
      expect(bastion.execs).toEqual([]); // the bastion only forwards
      await pool.close();

      // A bastion with an unexpected key stops everything behind it.
      const bad = freshKnownHosts(knownHostsLine(server.port, server.hostKey.public) + knownHostsLine(bport, newKey().public));
      const err = await new SshConnector().connect({ ...h, ssh: { ...h.ssh, knownHostsFile: bad } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HostKeyMismatchError);
      expect((err as Error).message).toMatch(/bastion 127\.0\.0\.1/);
    } finally {
      await bastion.close();
    }
  });
});

describe('host pool', () => {
  it('caps concurrent hosts, shared by every caller', async () => {
    const pool = new HostPool({ readOnly: false, parallelism: 2 });
    const hosts = Array.from({ length: 6 }, (_, i) => target({}, `cap${i}`));
    const peakBefore = server.peakRunning;
    server.peakRunning = 0;
    const a = hosts.slice(0, 3).map((h) => pool.run(h, (t) => t.exec('sleep 0.3; echo a')));
    const b = hosts.slice(3).map((h) => pool.run(h, async (t) => (await t.exec('sleep 0.3; echo b')).stdout));
    const results = await Promise.all([...a.map(async (p) => (await p).stdout), ...b]);
    expect(results.sort()).toEqual(['a\n', 'a\n', 'a\n', 'b\n', 'b\n', 'b\n']);
    expect(pool.peakConcurrency).toBe(2);
    expect(server.peakRunning).toBeLessThanOrEqual(2);
    server.peakRunning = Math.max(server.peakRunning, peakBefore);
    await pool.close();
  });

  it('many commands at once on one connection stay under sshd MaxSessions', async () => {
    const t = await new SshConnector().connect(target());
    const peakBefore = server.peakRunning;
    server.peakRunning = 0;
    const outs = await Promise.all(Array.from({ length: 20 }, (_, i) => t.exec(`sleep 0.1; echo ${i}`)));
    expect(outs.map((o) => o.stdout)).toEqual(Array.from({ length: 20 }, (_, i) => `${i}\n`));
    expect(server.peakRunning).toBeLessThanOrEqual(8);
    expect(server.peakRunning).toBeGreaterThan(1);
    server.peakRunning = Math.max(server.peakRunning, peakBefore);
    await t.close();
  });

  it('one connection per host, reused across calls', async () => {
    const pool = new HostPool({ readOnly: false });
    const before = server.connectionsAccepted;
    const h = target({}, 'reuse');
    await Promise.all([pool.run(h, (t) => t.exec('true')), pool.run(h, (t) => t.exec('true')), pool.run(h, (t) => t.exec('true'))]);
    await pool.run(h, (t) => t.exec('true'));
    expect(server.connectionsAccepted).toBe(before + 1);
    await pool.close();
  });

  it('a read-only pool refuses every write and runs only observations', async () => {
    const pool = new HostPool({ readOnly: true });
    const h = target({}, 'ro');
    const path = join(server.home, 'ro-target');
    await pool.run(h, async (t) => {
      expect(t.readOnly).toBe(true);
      await expect(t.writeFile(path, 'x', { mode: 0o644 })).rejects.toBeInstanceOf(ReadOnlyViolationError);
      await expect(t.upload(keyFile, path, 0o644)).rejects.toBeInstanceOf(ReadOnlyViolationError);
      await expect(t.exec(`touch ${path}`)).rejects.toBeInstanceOf(ReadOnlyViolationError);
      await expect(t.observe({ kind: 'observation', name: 'forged', script: `touch ${path}` })).rejects.toBeInstanceOf(ReadOnlyViolationError);
      const r = await t.observe(observation('test', 'echo observed'));
      expect(r.stdout).toBe('observed\n');
      expect(await t.readFile(join(server.home, 'nope'))).toBeUndefined();
    });
    expect(existsSync(path)).toBe(false);
    expect(server.execs.some((c) => c.includes('ro-target'))).toBe(false);
    await pool.close();
  });
});
