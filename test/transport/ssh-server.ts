// A real SSH server for unit tests, built on ssh2's own Server: public key auth, exec requests
// run by a local `sh -c` (in a scratch home directory), SFTP writes, direct-tcpip forwarding
// (to act as a bastion). Hooks let a test drop connections or watch channels.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, writeSync, closeSync, fchmodSync, writeFileSync, chmodSync, mkdirSync } from 'node:fs';
import { connect as netConnect, createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { Connection, ServerChannel, SFTPWrapper } from 'ssh2';

const { Server, utils } = ssh2;

export interface KeyPair {
  private: string;
  public: string;
}

/**
 * A fresh key pair from ssh2's generator, drawn again until ssh2 can read both halves back: about
 * one ed25519 key in 200 comes out with the public key's leading zero byte dropped (31 bytes), which
 * ssh2's own parser then rejects ("Malformed OpenSSH public key"). Keys from ssh-keygen are fine.
 */
export function newKey(type: 'ed25519' | 'ecdsa' = 'ed25519', encryption?: { passphrase: string; cipher: string; rounds: number }): KeyPair {
  for (;;) {
    const k =
      type === 'ecdsa'
        ? utils.generateKeyPairSync('ecdsa', encryption ? { bits: 256, ...encryption } : { bits: 256 })
        : encryption
          ? utils.generateKeyPairSync('ed25519', encryption)
          : utils.generateKeyPairSync('ed25519');
    if (!(utils.parseKey(k.public) instanceof Error) && !(utils.parseKey(k.private, encryption?.passphrase) instanceof Error)) return k;
  }
}

/** A known_hosts line for a server on a non-default port of `address`, from its public key line. */
export function knownHostsLine(port: number, publicKey: string, address = '127.0.0.1'): string {
  const [type, b64] = publicKey.split(' ');
  return `[${address}]:${port} ${type} ${b64}\n`;
}

/** A port on `address` where nothing listens (bound, then closed): connecting is refused. */
export async function closedPort(address = '127.0.0.1'): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, address, r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** The wire-format blob of an OpenSSH public key line. */
export function publicBlob(pub: string): Buffer {
  const parsed = utils.parseKey(pub);
  if (parsed instanceof Error) throw parsed;
  return (Array.isArray(parsed) ? parsed[0] : parsed).getPublicSSH();
}

export interface TestServerOptions {
  hostKey?: KeyPair;
  /** user name → public keys allowed to log in. */
  users: Record<string, string[]>;
  /** A `sudo` that asks for a password (prints sudo's own message and exits 1). */
  sudoNeedsPassword?: boolean;
  /** Allow direct-tcpip (port forwarding), to act as a bastion. */
  forwarding?: boolean;
}

export class TestSshServer {
  readonly hostKey: KeyPair;
  readonly home: string;
  port = 0;
  readonly connections = new Set<Connection>();
  authAttempts = 0;
  connectionsAccepted = 0;
  execs: string[] = [];
  running = 0;
  peakRunning = 0;
  /** Channels closed (by either side), with whether their process had ended by then. */
  readonly closedChannels: Array<{ command: string; processEnded: boolean }> = [];
  forwards: string[] = [];
  private readonly server: InstanceType<typeof Server>;
  private readonly children = new Set<ChildProcess>();
  private readonly sockets = new Set<Socket>();

  constructor(private readonly opts: TestServerOptions) {
    this.hostKey = opts.hostKey ?? newKey();
    this.home = mkdtempSync(join(tmpdir(), 'hactl-sshd-'));
    const bin = join(this.home, '.bin');
    mkdirSync(bin);
    if (opts.sudoNeedsPassword) {
      // What sudo -n prints when the user's sudoers entry wants a password.
      writeFileSync(join(bin, 'sudo'), '#!/bin/sh\necho "sudo: a password is required" >&2\nexit 1\n');
    } else {
      writeFileSync(join(bin, 'sudo'), '#!/bin/sh\n[ "$1" = -n ] && shift; [ "$1" = -- ] && shift; exec "$@"\n');
    }
    chmodSync(join(bin, 'sudo'), 0o755);
    const allowed = new Map(Object.entries(opts.users).map(([u, keys]) => [u, keys.map(publicBlob)]));

    this.server = new Server({ hostKeys: [this.hostKey.private] }, (client) => {
      this.connectionsAccepted++;
      this.connections.add(client);
      client.on('close', () => this.connections.delete(client));
      client.on('error', () => undefined);
      client.on('authentication', (ctx) => {
        this.authAttempts++;
        if (ctx.method !== 'publickey') return ctx.reject(['publickey']);
        const keys = allowed.get(ctx.username) ?? [];
        if (!keys.some((k) => k.equals(ctx.key.data))) return ctx.reject(['publickey']);
        if (ctx.signature && ctx.blob) {
          const pk = utils.parseKey(ctx.key.data);
          if (pk instanceof Error || Array.isArray(pk) || pk.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) return ctx.reject(['publickey']);
        }
        ctx.accept();
      });
      client.on('ready', () => {
        client.on('session', (acceptSession) => {
          const session = acceptSession();
          session.on('exec', (accept, _reject, info) => this.exec(accept(), info.command, bin));
          session.on('sftp', (accept) => this.sftp(accept()));
        });
        client.on('tcpip', (accept, reject, info) => {
          if (!opts.forwarding) return reject();
          this.forwards.push(`${info.destIP}:${info.destPort}`);
          const sock = netConnect(info.destPort, info.destIP, () => {
            const ch = accept();
            sock.pipe(ch).pipe(sock);
            ch.on('close', () => sock.destroy());
          });
          sock.on('error', () => reject());
        });
      });
    });
    this.server.on('connection', () => undefined);
  }

  private exec(stream: ServerChannel, command: string, bin: string): void {
    this.execs.push(command);
    this.running++;
    this.peakRunning = Math.max(this.peakRunning, this.running);
    const child = spawn('sh', ['-c', command], {
      cwd: this.home,
      env: { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`, HOME: this.home },
      detached: true,
    });
    this.children.add(child);
    let ended = false;
    child.stdout.pipe(stream, { end: false });
    child.stderr.pipe(stream.stderr, { end: false });
    stream.pipe(child.stdin);
    child.stdin.on('error', () => undefined);
    child.on('close', (code, signal) => {
      ended = true;
      this.running--;
      this.children.delete(child);
      try {
        if (signal) stream.exit(signal.replace(/^SIG/, ''), false, '');
        else stream.exit(code ?? 0);
        stream.end();
      } catch {
        // the channel may already be gone
      }
    });
    stream.on('close', () => {
      this.closedChannels.push({ command, processEnded: ended });
      if (!ended) killGroup(child);
    });
  }

  private sftp(sftp: SFTPWrapper): void {
    const handles = new Map<number, number>();
    let next = 1;
    const STATUS = utils.sftp.STATUS_CODE;
    sftp.on('OPEN', (reqid: number, filename: string) => {
      try {
        const fd = openSync(filename.startsWith('/') ? filename : join(this.home, filename), 'w');
        const h = Buffer.alloc(4);
        h.writeUInt32BE(next);
        handles.set(next++, fd);
        sftp.handle(reqid, h);
      } catch {
        sftp.status(reqid, STATUS.FAILURE);
      }
    });
    const fdOf = (h: Buffer) => handles.get(h.readUInt32BE(0));
    sftp.on('WRITE', (reqid: number, handle: Buffer, offset: number, data: Buffer) => {
      const fd = fdOf(handle);
      if (fd === undefined) return sftp.status(reqid, STATUS.FAILURE);
      writeSync(fd, data, 0, data.length, offset);
      sftp.status(reqid, STATUS.OK);
    });
    sftp.on('FSETSTAT', (reqid: number, handle: Buffer, attrs: { mode?: number | string }) => {
      const fd = fdOf(handle);
      if (fd === undefined) return sftp.status(reqid, STATUS.FAILURE);
      if (attrs.mode !== undefined) fchmodSync(fd, Number(attrs.mode) & 0o7777);
      sftp.status(reqid, STATUS.OK);
    });
    sftp.on('CLOSE', (reqid: number, handle: Buffer) => {
      const fd = fdOf(handle);
      if (fd === undefined) return sftp.status(reqid, STATUS.FAILURE);
      closeSync(fd);
      handles.delete(handle.readUInt32BE(0));
      sftp.status(reqid, STATUS.OK);
    });
  }

  async listen(port = 0): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this.port;
  }

  /** Cut every connection at the TCP level, as a network failure would. */
  dropAll(): void {
    for (const c of this.connections) (c as unknown as { _sock: Socket })._sock.destroy();
  }

  async close(): Promise<void> {
    for (const c of this.children) killGroup(c);
    for (const c of this.connections) c.end();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function killGroup(child: ChildProcess): void {
  try {
    if (child.pid) process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
