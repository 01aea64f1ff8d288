// The built CLI (dist/hactl.cjs through bin/run.js): V8's code cache is written, used, replaced
// when it does not fit, and never in the way of a correct run; a command loads only its own
// modules, so that ssh2 is not evaluated where no host is contacted, nor before the hosts are dialled.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort } from '../transport/ssh-server.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const built = existsSync(join(root, 'dist/hactl.cjs'));
const SPEC = join(root, 'examples/ha-stacked.yaml');

describe.skipIf(!built)('the built CLI', () => {
  let pkg: string;
  beforeAll(() => {
    // A package of its own: its dist/v8-cache is this test's alone.
    pkg = mkdtempSync(join(tmpdir(), 'hactl-bundle-'));
    cpSync(join(root, 'bin'), join(pkg, 'bin'), { recursive: true });
    cpSync(join(root, 'package.json'), join(pkg, 'package.json'));
    cpSync(join(root, 'dist/hactl.cjs'), join(pkg, 'dist/hactl.cjs'));
    symlinkSync(join(root, 'node_modules'), join(pkg, 'node_modules'));
    symlinkSync(join(root, 'schemas'), join(pkg, 'schemas'));
  });
  afterAll(() => rmSync(pkg, { recursive: true, force: true }));

  const hactl = (args: string[], nodeArgs: string[] = []) => {
    const r = spawnSync(process.execPath, [...nodeArgs, join(pkg, 'bin/run.js'), ...args], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    return { status: r.status, out: r.stdout, err: r.stderr };
  };
  const caches = () => (existsSync(join(pkg, 'dist/v8-cache')) ? readdirSync(join(pkg, 'dist/v8-cache')).sort() : []);
  const cacheOf = (command: string) => {
    const name = caches().find((f) => f.startsWith(`${command}.`));
    if (name === undefined) throw new Error(`no cache for ${command} among ${caches().join(', ')}`);
    return join(pkg, 'dist/v8-cache', name);
  };

  it("writes a command's code cache on its first run, then runs from it without writing again", () => {
    rmSync(join(pkg, 'dist/v8-cache'), { recursive: true, force: true });
    const first = hactl(['validate', '-f', SPEC]);
    expect(first.status, first.err).toBe(0);
    const { size } = statSync(join(pkg, 'dist/hactl.cjs'));
    expect(caches()).toEqual([expect.stringMatching(new RegExp(`^validate\\.${size}-\\d+\\.cache$`))]);
    const written = statSync(cacheOf('validate'));
    expect(written.size).toBeGreaterThan(100_000);

    const second = hactl(['validate', '-f', SPEC]);
    expect(second).toEqual(first);
    // Rewritten only when missing or rejected by V8: unchanged means it was used.
    expect(statSync(cacheOf('validate')).mtimeMs).toBe(written.mtimeMs);
    expect(caches()).toHaveLength(1);
  });

  it('keeps one cache per command, and one for runs that name none', () => {
    expect(hactl(['graph', '-f', SPEC]).status).toBe(0);
    expect(hactl(['--version']).status).toBe(0);
    expect(caches().map((f) => f.split('.')[0])).toEqual(['all', 'graph', 'validate']);
  });

  it('starts a command without a cache of its own from the one of a run that named none, then writes its own', () => {
    const before = hactl(['validate', '-f', SPEC]);
    rmSync(cacheOf('validate'));
    expect(hactl(['validate', '-f', SPEC])).toEqual(before);
    expect(caches().map((f) => f.split('.')[0])).toEqual(['all', 'graph', 'validate']);
  });

  it('replaces a cache V8 rejects, with the same output', () => {
    const good = hactl(['validate', '-f', SPEC]);
    const file = cacheOf('validate');
    writeFileSync(file, Buffer.alloc(4096, 7));
    const r = hactl(['validate', '-f', SPEC]);
    expect(r).toEqual(good);
    expect(readFileSync(file).equals(Buffer.alloc(4096, 7))).toBe(false);
    expect(statSync(file).size).toBeGreaterThan(100_000);
  });

  it('never uses the cache of another build of the bundle', () => {
    const bundle = join(pkg, 'dist/hactl.cjs');
    const later = new Date(statSync(bundle).mtimeMs + 60_000);
    utimesSync(bundle, later, later);
    expect(hactl(['validate', '-f', SPEC]).status).toBe(0);
    const { size, mtimeMs } = statSync(bundle);
    expect(caches()).toContain(`validate.${size}-${Math.trunc(mtimeMs)}.cache`);
  });

  it('runs without a cache where dist/ cannot be written', () => {
    rmSync(join(pkg, 'dist/v8-cache'), { recursive: true, force: true });
    writeFileSync(join(pkg, 'dist/v8-cache'), 'a file where the directory would be\n');
    try {
      const r = hactl(['validate', '-f', SPEC]);
      expect(r.status, r.err).toBe(0);
      expect(r.err).toBe('');
    } finally {
      rmSync(join(pkg, 'dist/v8-cache'));
    }
  });

  it('leaves no partial file behind when a cache cannot be put in place', () => {
    rmSync(join(pkg, 'dist/v8-cache'), { recursive: true, force: true });
    const { size, mtimeMs } = statSync(join(pkg, 'dist/hactl.cjs'));
    // A directory where the cache file would go: the write succeeds, the rename cannot.
    mkdirSync(join(pkg, 'dist/v8-cache', `validate.${size}-${Math.trunc(mtimeMs)}.cache`), { recursive: true });
    const r = hactl(['validate', '-f', SPEC]);
    expect(r.status, r.err).toBe(0);
    expect(r.err).toBe('');
    expect(caches()).toEqual([`validate.${size}-${Math.trunc(mtimeMs)}.cache`]);
    rmSync(join(pkg, 'dist/v8-cache'), { recursive: true });
  });

  it('maps stack traces to src/ under --enable-source-maps (then without the cache)', () => {
    rmSync(join(pkg, 'dist/v8-cache'), { recursive: true, force: true });
    cpSync(join(root, 'dist/hactl.cjs.map'), join(pkg, 'dist/hactl.cjs.map'));
    // Prints the stack of the call that reads the spec.
    const hook = join(pkg, 'stack.cjs');
    writeFileSync(
      hook,
      "const fsp = require('node:fs/promises'); const read = fsp.readFile; fsp.readFile = function (p, ...rest) { if (String(p).endsWith('.yaml')) process.stderr.write('STACK ' + new Error().stack.split('\\n').slice(2, 4).join(' | ') + '\\n'); return read.call(this, p, ...rest); };\n",
    );
    const stack = (nodeArgs: string[]) => /^STACK (.*)$/m.exec(hactl(['validate', '-f', SPEC], ['-r', hook, ...nodeArgs]).err)?.[1];
    expect(stack(['--enable-source-maps'])).toMatch(/src\/spec\/index\.ts:\d+/);
    expect(caches()).toEqual([]);
    expect(stack([])).toMatch(/dist\/hactl\.cjs:\d+/);
    expect(caches()).toHaveLength(1);
  });

  describe('what a command evaluates', () => {
    let hook: string;
    let spec: string;
    beforeAll(async () => {
      // Records, in order, the first outgoing TCP connection and ssh2's first native module.
      hook = join(pkg, 'order.cjs');
      writeFileSync(
        hook,
        [
          "const Module = require('node:module'); const net = require('node:net'); const seen = [];",
          'const load = Module._load;',
          "Module._load = function (request, ...rest) { if (/sshcrypto|cpu-features/.test(request) && !seen.includes('ssh2')) seen.push('ssh2'); return load.call(this, request, ...rest); };",
          "const connect = net.Socket.prototype.connect; net.Socket.prototype.connect = function (...a) { if (!seen.includes('connect')) seen.push('connect'); return connect.apply(this, a); };",
          "process.on('exit', () => process.stderr.write('ORDER ' + seen.join(',') + '\\n'));",
        ].join('\n'),
      );
      const port = await closedPort('127.0.0.1');
      spec = join(pkg, 'cluster.yaml');
      writeFileSync(join(pkg, 'id'), 'not a key\n'); // the hosts refuse anyway: only the order matters
      writeFileSync(join(pkg, 'known_hosts'), '');
      writeFileSync(
        spec,
        [
          'apiVersion: hactl.io/v1alpha1',
          'kind: Cluster',
          'metadata: { name: order }',
          'profile: test',
          `ssh: { user: root, port: ${port}, privateKeyFile: ${join(pkg, 'id')}, knownHostsFile: ${join(pkg, 'known_hosts')}, connectTimeoutSeconds: 5 }`,
          'hosts:',
          '  - { name: cp1, address: 127.0.0.1, roles: [control-plane] }',
          'kubernetes: { version: 1.36.4 }',
          '',
        ].join('\n'),
      );
    });
    const order = (args: string[]) => /^ORDER (.*)$/m.exec(hactl(args, ['-r', hook]).err)?.[1];

    it('validate and graph never evaluate ssh2', () => {
      expect(order(['validate', '-f', spec])).toBe('');
      expect(order(['graph', '-f', spec])).toBe('');
    });

    it.each([['facts'], ['plan'], ['drift']])('%s evaluates ssh2 only after dialling the hosts', (command) => {
      expect(order([command, '-f', spec])).toBe('connect,ssh2');
    });
  });
});
