import { execFileSync, spawn } from 'node:child_process';
import { cpus, hostname } from 'node:os';
import { existsSync, mkdtempSync, readdirSync, writeFileSync, chmodSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultFactRequest } from '../../src/facts/default-request.js';
import { parseProbeOutput } from '../../src/facts/parse.js';
import { probeObservation, probeScript } from '../../src/facts/probe.js';
import { FactRequestError, mergeRequests } from '../../src/facts/request.js';
import type { FactRequest } from '../../src/facts/types.js';

const shells = ['sh', 'dash', 'bash'].filter((s) => {
  try {
    execFileSync('sh', ['-c', `command -v ${s}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
});

describe('probe script', () => {
  it('is one POSIX script, valid for every shell available here', () => {
    const script = probeScript(defaultFactRequest());
    for (const sh of shells) execFileSync(sh, ['-n', '-c', script]);
    expect(probeObservation(defaultFactRequest()).kind).toBe('observation');
  });

  for (const sh of shells) {
    it(`runs under ${sh} on this machine and its output parses to this machine's facts`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'hactl-probe-'));
      const file = join(dir, "odd name's.conf");
      writeFileSync(file, 'a=1\n');
      chmodSync(file, 0o600);
      const req: FactRequest = { ...defaultFactRequest(), files: [...defaultFactRequest().files, file, join(dir, 'absent')] };
      const out = execFileSync(sh, ['-c', probeScript(req)], { encoding: 'utf8', maxBuffer: 64 << 20 });
      const f = parseProbeOutput(out, req);
      expect(f.hostname).toBe(hostname());
      expect(f.cpus).toBe(cpus().length);
      expect(f.os.id).toBe(/^ID=(.*)$/m.exec(readFileSync('/etc/os-release', 'utf8'))![1]!.replace(/"/g, ''));
      expect(f.memoryBytes).toBeGreaterThan(0);
      expect(f.disks[0]!.path).toBe('/');
      expect(f.disks[0]!.sizeBytes).toBeGreaterThan(f.disks[0]!.freeBytes);
      expect(f.interfaces.find((i) => i.name === 'lo')?.addresses).toContain('127.0.0.1/8');
      expect(f.sysctls['net.ipv4.ip_forward']).toBe(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim());
      expect(f.sysctls['vm.swappiness']).toBe(readFileSync('/proc/sys/vm/swappiness', 'utf8').trim());
      expect(f.files[file]).toEqual({
        exists: true,
        type: 'file',
        size: 4,
        mode: 0o600,
        owner: execFileSync('id', ['-un'], { encoding: 'utf8' }).trim(),
        group: execFileSync('id', ['-gn'], { encoding: 'utf8' }).trim(),
        content: 'a=1\n',
        sha256: createHash('sha256').update('a=1\n').digest('hex'),
      });
      expect(f.files[join(dir, 'absent')]).toEqual({ exists: false });
      expect(Math.abs(f.clockEpochSeconds - Date.now() / 1000)).toBeLessThan(30);
    });
  }

  for (const sh of shells) {
    it(`under ${sh}: the cgroup mode as stat tells it, and apt's candidates asked only while nothing asked about is installed`, () => {
      const run = (candidates: string[]) => {
        const req: FactRequest = { ...defaultFactRequest(), candidates };
        return parseProbeOutput(execFileSync(sh, ['-c', probeScript(req)], { encoding: 'utf8', maxBuffer: 64 << 20 }), req);
      };
      const f = run(['containerd', 'hactl-no-such-package']);
      // What `stat -fc %T /sys/fs/cgroup` (and /sys/fs/cgroup/unified for hybrid) says here.
      const root = execFileSync('stat', ['-fc', '%T', '/sys/fs/cgroup'], { encoding: 'utf8' }).trim();
      let unified = '';
      try {
        unified = execFileSync('stat', ['-fc', '%T', '/sys/fs/cgroup/unified'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      } catch {
        // no unified hierarchy
      }
      expect(f.cgroupMode).toBe(root === 'cgroup2fs' ? 'v2' : root === 'tmpfs' ? (unified === 'cgroup2fs' ? 'hybrid' : 'v1') : 'unknown');
      expect(f.candidates['hactl-no-such-package']).toBeNull();
      // apt's own answer for containerd on this machine, when apt is here and containerd is not installed.
      let policy = '';
      try {
        policy = execFileSync('sh', ['-c', 'command -v apt-cache >/dev/null && ! dpkg-query -W containerd >/dev/null 2>&1 && apt-cache policy containerd'], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        });
      } catch {
        // no apt, or containerd installed
      }
      const candidate = /Candidate: (\S+)/.exec(policy)?.[1];
      if (candidate !== undefined) expect(f.candidates.containerd).toBe(candidate === '(none)' ? null : candidate);
      // An installed package (the shell itself) stops the query: its installed version is what counts.
      if (
        existsSync('/var/lib/dpkg/info') &&
        (existsSync(`/var/lib/dpkg/info/${sh}.list`) || readdirSync('/var/lib/dpkg/info').some((n) => n.startsWith(`${sh}:`) && n.endsWith('.list')))
      ) {
        expect(run([sh, 'containerd']).candidates).toEqual({ [sh]: null, containerd: null });
      }
    });
  }

  it('large files get a hash but no content', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hactl-probe-'));
    const big = join(dir, 'big');
    writeFileSync(big, Buffer.alloc(70 * 1024, 65));
    const req: FactRequest = { packages: [], units: [], sysctls: [], files: [big] };
    const f = parseProbeOutput(execFileSync('sh', ['-c', probeScript(req)], { encoding: 'utf8' }), req);
    expect(f.files[big]).toMatchObject({ exists: true, size: 70 * 1024 });
    expect(f.files[big]!.content).toBeUndefined();
    expect(f.files[big]!.sha256).toBe(
      createHash('sha256')
        .update(Buffer.alloc(70 * 1024, 65))
        .digest('hex'),
    );
  });

  for (const sh of shells) {
    it(`under ${sh}, small files come in one archive (long, odd and spaced names kept), large ones as hashes`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'hactl-probe-'));
      const long = join(dir, `${'d'.repeat(60)}/${'n'.repeat(80)} with space.conf`);
      execFileSync('mkdir', ['-p', join(dir, 'd'.repeat(60))]);
      const files = {
        [long]: Buffer.from('long=1\n'),
        [join(dir, "it's | odd.conf")]: Buffer.from('no trailing newline'),
        [join(dir, 'binary')]: Buffer.from([0, 1, 2, 255, 10, 0]),
        [join(dir, 'empty')]: Buffer.alloc(0),
        [join(dir, 'big')]: Buffer.alloc(70 * 1024, 66),
      };
      for (const [path, data] of Object.entries(files)) writeFileSync(path, data);
      const req: FactRequest = { packages: [], units: [], sysctls: [], files: [...Object.keys(files), join(dir, 'absent'), dir] };
      // The archive is raw bytes: read the output as bytes, as the transport does.
      const out = execFileSync(sh, ['-c', probeScript(req)]);
      expect(out.includes('\n@@hactl:archive\n')).toBe(true);
      expect(out.includes('@@hactl:content ')).toBe(false);
      const f = parseProbeOutput(out, req);
      for (const [path, data] of Object.entries(files)) {
        expect(f.files[path]!.sha256, path).toBe(createHash('sha256').update(data).digest('hex'));
        expect(f.files[path]!.size, path).toBe(data.length);
        if (data.length <= 64 * 1024) expect(f.files[path]!.content, path).toBe(data.toString('utf8'));
        else expect(f.files[path]!.content, path).toBeUndefined();
      }
      expect(f.files[join(dir, 'absent')]).toEqual({ exists: false });
      expect(f.files[dir]).toMatchObject({ exists: true, type: 'directory' });
      expect(f.files[dir]!.sha256).toBeUndefined();
    });
  }

  it('without tar, small files come one by one in base64', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hactl-probe-'));
    const bin = join(dir, 'bin');
    execFileSync('mkdir', ['-p', bin]);
    // A PATH with every tool the probe uses but tar.
    for (const tool of ['stat', 'base64', 'sha256sum'])
      execFileSync('ln', ['-s', execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), join(bin, tool)]);
    const file = join(dir, 'a.conf');
    writeFileSync(file, Buffer.from([0x61, 0xff, 0x0a]));
    const req: FactRequest = { packages: [], units: [], sysctls: [], files: [file] };
    const script = probeScript(req).replace(/^PATH=.*$/m, `PATH=${bin}; export PATH`);
    const out = execFileSync('sh', ['-c', script]);
    expect(out.includes('@@hactl:archive')).toBe(false);
    expect(out.includes(`@@hactl:content ${file}`)).toBe(true);
    expect(parseProbeOutput(out, req).files[file]).toMatchObject({
      size: 3,
      sha256: createHash('sha256')
        .update(Buffer.from([0x61, 0xff, 0x0a]))
        .digest('hex'),
    });
  });

  // Installed here on every Debian-like machine, beside one that is not (and a name that only
  // prefixes real ones).
  const dpkgHere = existsSync('/var/lib/dpkg/status') && shells.includes('bash');
  it.skipIf(!dpkgHere)("reads dpkg's database with awk exactly as dpkg-query reports it", () => {
    const req: FactRequest = { packages: ['bash', 'coreutils', 'dpkg', 'libc6', 'lib', 'no-such-package-here'], units: [], sysctls: [], files: [] };
    const script = probeScript(req);
    const withAwk = parseProbeOutput(execFileSync('bash', ['-c', script]), req).packages;
    // awk missing from PATH: the probe asks dpkg-query instead.
    const bin = mkdtempSync(join(tmpdir(), 'hactl-probe-'));
    for (const tool of ['dpkg-query', 'dd'])
      execFileSync('ln', ['-s', execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), join(bin, tool)]);
    const withQuery = parseProbeOutput(execFileSync('bash', ['-c', script.replace(/^PATH=.*$/m, `PATH=${bin}; export PATH`)]), req).packages;
    expect(withAwk).toEqual(withQuery);
    expect(withAwk['bash']).toMatchObject({ installed: true });
    expect(withAwk['bash']!.installed && withAwk['bash']!.version).toBe(execFileSync('dpkg-query', ['-W', '-f=${Version}', 'bash'], { encoding: 'utf8' }));
    expect(withAwk['no-such-package-here']?.installed ?? false).toBe(false);
    expect(withAwk['lib']?.installed ?? false).toBe(false);
  });

  // Every write of the probe's is an SSH packet on the wire: dd gathers them into one.
  it.each(shells)('under %s, writes its output at once through dd, and without dd as it comes', async (sh) => {
    const req = defaultFactRequest();
    const chunks = async (script: string) => {
      const child = spawn(sh, ['-c', script], { stdio: ['ignore', 'pipe', 'ignore'] });
      const got: Buffer[] = [];
      child.stdout.on('data', (d: Buffer) => got.push(d));
      await new Promise((resolve) => child.on('close', resolve));
      return got;
    };
    const gathered = await chunks(probeScript(req));
    expect(gathered.length).toBe(1);
    expect(parseProbeOutput(gathered[0]!, req).hostname).toBe(hostname());
    // A PATH without dd (every other tool the probe uses linked in): the same facts.
    const bin = mkdtempSync(join(tmpdir(), 'hactl-probe-'));
    for (const tool of ['df', 'ip', 'awk', 'ss', 'tar', 'stat', 'grep']) {
      const path = execFileSync('sh', ['-c', `command -v ${tool} || true`], { encoding: 'utf8' }).trim();
      if (path) execFileSync('ln', ['-s', path, join(bin, tool)]);
    }
    const streamed = await chunks(probeScript(req).replace(/^PATH=.*$/m, `PATH=${bin}; export PATH`));
    expect(parseProbeOutput(Buffer.concat(streamed), req).hostname).toBe(hostname());
    expect(Buffer.concat(streamed).includes('@@hactl:done')).toBe(true);
  });

  it('refuses request values that could smuggle shell code', () => {
    const base = defaultFactRequest();
    expect(() => probeScript({ ...base, packages: ['kubelet; rm -rf /'] })).toThrow(FactRequestError);
    expect(() => probeScript({ ...base, units: ['$(reboot)'] })).toThrow(FactRequestError);
    expect(() => probeScript({ ...base, files: ['relative/path'] })).toThrow(FactRequestError);
    expect(() => probeScript({ ...base, files: ['/etc/x\nreboot'] })).toThrow(FactRequestError);
    expect(() => probeScript({ ...base, sysctls: ['net.ipv4.ip_forward`id`'] })).toThrow(FactRequestError);
    // Paths are free-form but quoted: a `$(...)` in a path stays a name.
    expect(probeScript({ ...base, files: ['/tmp/$(reboot)'] })).toContain("'/tmp/$(reboot)'");
  });

  it('merges requests without duplicates', () => {
    const m = mergeRequests(
      { packages: ['a', 'b'], units: ['x'], files: [], sysctls: [] },
      { packages: ['b', 'c'], units: ['x'], files: ['/f'], sysctls: ['k'], certDirs: ['/d'], candidates: ['c'] },
    );
    expect(m).toEqual({ packages: ['a', 'b', 'c'], units: ['x'], files: ['/f'], sysctls: ['k'], modules: [], certDirs: ['/d'], candidates: ['c'] });
  });
});
