import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultFactRequest } from '../../src/facts/default-request.js';
import {
  ProbeParseError,
  addFileAttributes,
  countCpuList,
  parseCandidates,
  parseCgroupMode,
  parseTimeSync,
  parseOpensslDate,
  parseProbeOutput,
  parseProcNet,
  parseUnits,
  parseCerts,
  parseFiles,
  readTar,
  splitArchive,
  splitSections,
} from '../../src/facts/parse.js';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '..', 'fixtures', 'facts', name), 'utf8');
const req = defaultFactRequest();

describe('parse: Debian 12 worker (hand-assembled)', () => {
  const f = parseProbeOutput(fixture('debian12.txt'), req);

  it('system', () => {
    expect(f.os).toEqual({ id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)', family: 'debian', like: [] });
    expect([f.hostname, f.arch, f.kernel, f.cpus, f.memoryBytes]).toEqual(['worker1', 'x86_64', '6.1.0-18-amd64', 2, 8135804 * 1024]);
    expect(f.disks).toEqual([
      { path: '/', mountedOn: '/', filesystem: '/dev/vda1', sizeBytes: 20463184 * 1024, freeBytes: 15877108 * 1024 },
      { path: '/var', mountedOn: '/var', filesystem: '/dev/vda2', sizeBytes: 41107560 * 1024, freeBytes: 32854364 * 1024 },
    ]);
    // The commented-out swap line in fstab does not count.
    expect(f.swap).toEqual({ activeBytes: 0, devices: [], fstabEntries: [] });
    expect(f.clockEpochSeconds).toBe(1767268800);
  });

  it('network', () => {
    expect(f.interfaces.map((i) => [i.name, i.addresses, i.up])).toEqual([
      ['lo', ['127.0.0.1/8', '::1/128'], true],
      ['ens3', ['192.168.10.21/24', 'fe80::5054:ff:fe12:3456/64'], true],
      ['cni0', ['10.244.1.1/24'], false], // UP but NO-CARRIER: operstate DOWN
    ]);
    expect(f.interfaces[1]!.mac).toBe('52:54:00:12:34:56');
    expect(f.interfaces[0]!.mac).toBeUndefined();
    expect(f.listeningPorts).toContainEqual({ proto: 'tcp', port: 22, address: '0.0.0.0', process: 'sshd' });
    expect(f.listeningPorts).toContainEqual({ proto: 'tcp', port: 10250, address: '0.0.0.0', process: 'kubelet' });
    expect(f.listeningPorts).toContainEqual({ proto: 'udp', port: 323, address: '::1', process: 'chronyd' });
    expect(f.listeningPorts).toHaveLength(9);
  });

  it('kernel settings', () => {
    expect(f.sysctls['net.ipv4.ip_forward']).toBe('1');
    expect(f.sysctls['net.bridge.bridge-nf-call-iptables']).toBe('1');
    expect(f.modules).toEqual({ br_netfilter: 'loaded', overlay: 'loaded' });
  });

  it('packages: versions, holds, removed-with-config counts as absent', () => {
    expect(f.packageManager).toBe('dpkg');
    expect(f.packages.kubelet).toEqual({ installed: true, version: '1.34.3-1.1', held: true, arch: 'amd64' });
    expect(f.packages.containerd).toEqual({ installed: true, version: '1.6.20~ds1-1+b1', held: false, arch: 'amd64' });
    expect(f.packages.conntrack).toMatchObject({ installed: true, version: '1:1.4.7-1+b2' });
    expect(f.packages.socat).toEqual({ installed: false }); // rc: removed, config files left
    expect(f.packages.nginx).toEqual({ installed: false }); // un: known, never installed
    expect(f.packages.haproxy).toEqual({ installed: false }); // not listed at all
  });

  it('units, including an alias (chronyd → chrony.service)', () => {
    expect(f.init).toBe('systemd');
    expect(f.units.kubelet).toMatchObject({ exists: true, active: true, enabled: true });
    expect(f.units.chronyd).toMatchObject({ exists: true, active: true, enabled: true });
    expect(f.units.haproxy).toEqual({ exists: false, active: false, enabled: false, activeState: 'inactive', unitFileState: '' });
  });

  it('files: hash, mode, owner, content', () => {
    const toml = f.files['/etc/containerd/config.toml']!;
    expect(toml).toMatchObject({ exists: true, type: 'file', mode: 0o644, owner: 'root', group: 'root' });
    expect(toml.content).toContain('SystemdCgroup = true');
    expect(toml.size).toBe(Buffer.byteLength(toml.content!));
    expect(toml.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(f.files['/etc/hostname']!.content).toBe('worker1\n');
    expect(f.files['/etc/haproxy/haproxy.cfg']).toEqual({ exists: false });
    expect(Object.keys(f.files).sort()).toEqual([...req.files].sort());
  });

  it('certificates, kubernetes state, time sync', () => {
    expect(f.certificates).toEqual([
      { path: '/etc/kubernetes/pki/ca.crt', notAfter: '2035-12-29T10:15:07.000Z', daysLeft: 3648, subject: 'CN=kubernetes' },
      {
        path: '/var/lib/kubelet/pki/kubelet-client-current.pem',
        notAfter: '2026-01-14T10:15:09.000Z',
        daysLeft: 12, // 12 days 22 hours: whole days left
        subject: 'CN=system:node:worker1,O=system:nodes',
      },
    ]);
    expect(f.kubernetes).toEqual({ present: true, confFiles: ['kubelet.conf'], manifests: ['.gitkeep'], kubeletConfig: true, caPresent: true });
    expect(f.timeSync).toEqual({ service: 'chronyd', source: 'chronyc', synchronized: true });
    expect(f.missingTools).toEqual([]);
  });
});

describe('parse: Ubuntu 22.04 control plane (hand-assembled)', () => {
  const f = parseProbeOutput(fixture('ubuntu2204.txt'), req);

  it('OS family from ID_LIKE, 4 CPUs, /var on the root filesystem', () => {
    expect(f.os).toMatchObject({ id: 'ubuntu', versionId: '22.04', family: 'debian', like: ['debian'] });
    expect(f.cpus).toBe(4);
    expect(f.disks.map((d) => [d.path, d.mountedOn])).toEqual([
      ['/', '/'],
      ['/var', '/'],
    ]);
  });

  it('active swap file and its fstab entry', () => {
    expect(f.swap).toEqual({ activeBytes: 4194300 * 1024, devices: ['/swap.img'], fstabEntries: ['/swap.img\tnone\tswap\tsw\t0\t0'] });
  });

  it('VIP address on the interface, Docker containerd.io package, kubelet still activating', () => {
    expect(f.interfaces.find((i) => i.name === 'ens160')!.addresses).toEqual(['10.0.0.11/24', '10.0.0.10/24', 'fe80::250:56ff:fe9a:3c01/64']);
    expect(f.packages['containerd.io']).toMatchObject({ installed: true, version: '1.6.28-2' });
    expect(f.packages.containerd).toEqual({ installed: false });
    expect(f.units.kubelet).toMatchObject({ exists: true, active: false, enabled: true, activeState: 'activating' });
    expect(f.files['/etc/keepalived/keepalived.conf']).toMatchObject({ mode: 0o640 });
  });

  it('every kubeadm certificate with days left, embedded kubeconfig certificates included', () => {
    expect(f.certificates).toHaveLength(15);
    const apiserver = f.certificates.find((c) => c.path === '/etc/kubernetes/pki/apiserver.crt')!;
    expect(apiserver).toEqual({ path: '/etc/kubernetes/pki/apiserver.crt', notAfter: '2027-03-02T09:00:11.000Z', daysLeft: 365, subject: 'CN=kube-apiserver' });
    expect(f.certificates.find((c) => c.path === '/etc/kubernetes/admin.conf')!.subject).toBe('CN=kubernetes-admin,O=kubeadm:cluster-admins');
    expect(f.kubernetes.manifests).toEqual(['etcd.yaml', 'kube-apiserver.yaml', 'kube-controller-manager.yaml', 'kube-scheduler.yaml']);
    expect(f.kubernetes.confFiles).toContain('super-admin.conf');
  });

  it('systemd-timesyncd not yet synchronized; ports with interface-scoped addresses', () => {
    expect(f.timeSync).toEqual({ service: 'systemd-timesyncd', source: 'timesyncd-flag', synchronized: false });
    expect(f.listeningPorts).toContainEqual({ proto: 'udp', port: 53, address: '127.0.0.53', process: 'systemd-resolve' });
    expect(f.listeningPorts).toContainEqual({ proto: 'tcp', port: 6443, address: '0.0.0.0', process: 'kube-apiserver' });
    expect(f.listeningPorts.filter((p) => p.process === 'etcd').map((p) => p.port)).toEqual([2379, 2379, 2380]);
  });
});

describe('parse: Rocky 9 load balancer (hand-assembled)', () => {
  const f = parseProbeOutput(fixture('rocky9.txt'), req);

  it('rhel family, aarch64, /var on its own volume', () => {
    expect(f.os).toMatchObject({ id: 'rocky', versionId: '9.3', family: 'rhel' });
    expect(f.arch).toBe('aarch64');
    expect(f.disks[1]).toMatchObject({ path: '/var', mountedOn: '/var', filesystem: '/dev/mapper/rl-var', freeBytes: 4822308 * 1024 });
    expect(f.memoryBytes).toBe(1813480 * 1024);
  });

  it('rpm versions without the zero epoch, versionlock holds (and ! excludes do not)', () => {
    expect(f.packageManager).toBe('rpm');
    expect(f.packages.haproxy).toEqual({ installed: true, version: '2.4.22-1.el9', held: true, arch: 'aarch64' });
    expect(f.packages.keepalived).toEqual({ installed: true, version: '2.2.8-3.el9', held: false, arch: 'aarch64' });
    expect(f.packages.nginx).toEqual({ installed: false });
  });

  it('br_netfilter absent: its sysctls are absent too', () => {
    expect(f.modules).toEqual({ br_netfilter: 'absent', overlay: 'builtin' });
    expect(f.sysctls['net.bridge.bridge-nf-call-iptables']).toBeNull();
    expect(f.sysctls['net.ipv4.ip_nonlocal_bind']).toBe('1');
  });

  it('failed unit, chronyd, empty config file, no Kubernetes', () => {
    expect(f.units.keepalived).toMatchObject({ exists: true, active: false, enabled: true, activeState: 'failed' });
    expect(f.units.chronyd).toMatchObject({ exists: true, active: true });
    expect(f.units.chrony).toMatchObject({ exists: false });
    expect(f.timeSync).toEqual({ service: 'chronyd', source: 'chronyc', synchronized: true });
    expect(f.files['/etc/keepalived/keepalived.conf']).toMatchObject({
      exists: true,
      size: 0,
      content: '',
      sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    });
    expect(f.files['/etc/yum.repos.d/hactl-kubernetes.repo']!.content).toContain('baseurl=https://pkgs.k8s.io/core:/stable:/v1.29/rpm/');
    expect(f.kubernetes).toEqual({ present: false, confFiles: [], manifests: [], kubeletConfig: false, caPresent: false });
    expect(f.certificates).toEqual([]);
    expect(f.interfaces.find((i) => i.name === 'eth1')).toMatchObject({ up: false, addresses: [] });
  });
});

describe('parse: fallbacks and failures', () => {
  it('refuses truncated output (the connection died mid-probe)', () => {
    const text = fixture('debian12.txt');
    expect(() => parseProbeOutput(text.slice(0, text.indexOf('@@hactl:section files')), req)).toThrow(ProbeParseError);
  });

  it('time sync from each source', () => {
    expect(parseTimeSync(['source chronyc', 'Leap status     : Not synchronised'], ['chronyd'])).toEqual({
      service: 'chronyd',
      source: 'chronyc',
      synchronized: false,
    });
    expect(parseTimeSync(['source chronyc', '506 Cannot talk to daemon'], [])).toEqual({ service: 'none', source: 'chronyc', synchronized: false });
    expect(parseTimeSync(['source timesyncd-flag', 'timesyncd-synchronized'], ['systemd-timesyn'])).toMatchObject({ synchronized: true });
    expect(parseTimeSync(['source timedatectl', 'NTP=no', 'NTPSynchronized=yes'], [])).toEqual({
      service: 'none',
      source: 'timedatectl',
      synchronized: true,
      ntpEnabled: false,
    });
    expect(parseTimeSync([], [])).toEqual({ service: 'none', source: 'none' });
  });

  it('CPU lists', () => {
    expect(countCpuList('0')).toBe(1);
    expect(countCpuList('0-3,8,10-11\n')).toBe(7);
  });

  it('openssl dates', () => {
    expect(parseOpensslDate('Mar  2 09:00:11 2027 GMT')).toBe('2027-03-02T09:00:11.000Z');
    expect(parseOpensslDate('garbage')).toBeUndefined();
  });

  it('certificates without openssl are listed with the reason', () => {
    expect(parseCerts(['@@hactl:cert /etc/kubernetes/pki/ca.crt'], 0, true)).toEqual([{ path: '/etc/kubernetes/pki/ca.crt', error: 'openssl not installed' }]);
    expect(parseCerts(['@@hactl:cert /x.crt', 'Could not read certificate from <stdin>'], 0, false)).toEqual([
      { path: '/x.crt', error: 'Could not read certificate from <stdin>' },
    ]);
  });

  it('listening sockets from /proc/net when ss is missing', () => {
    const tcp = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 20001 1 0000000000000000 100 0 0 10 0',
      '   1: 0100007F:2710 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 20002 1 0000000000000000 100 0 0 10 0',
      '   2: 0B0012C6:0016 010012C6:D431 01 00000000:00000000 02:0009D5A8 00000000     0        0 20003 4 0000000000000000 20 4 29 10 -1',
    ];
    expect(parseProcNet(tcp, 'tcp', false)).toEqual([
      { proto: 'tcp', port: 22, address: '0.0.0.0' },
      { proto: 'tcp', port: 10000, address: '127.0.0.1' },
    ]);
    const tcp6 = [
      '  sl  local_address                         remote_address                        st',
      '   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000',
      '   1: 00000000000000000000000001000000:0019 00000000000000000000000000000000:0000 0A 00000000:00000000',
    ];
    expect(parseProcNet(tcp6, 'tcp', true)).toEqual([
      { proto: 'tcp', port: 22, address: '::' },
      { proto: 'tcp', port: 25, address: '::1' },
    ]);
    const udp = ['  sl  local_address rem_address   st', '  1: 00000000:0143 00000000:0000 07 00000000:00000000'];
    expect(parseProcNet(udp, 'udp', false)).toEqual([{ proto: 'udp', port: 323, address: '0.0.0.0' }]);
  });

  it('units on a host whose PID 1 is not systemd: unit files and wants links only', () => {
    const r = parseUnits(
      ['init other', 'file etcd.service /usr/lib/systemd/system', 'wanted etcd.service', 'file kubelet.service /etc/systemd/system'],
      ['etcd', 'kubelet', 'haproxy'],
    );
    expect(r.init).toBe('other');
    expect(r.units).toEqual({
      etcd: { exists: true, active: false, enabled: true },
      kubelet: { exists: true, active: false, enabled: false },
      haproxy: { exists: false, active: false, enabled: false },
    });
  });
});

describe('parse: Debian 12 lab host (real capture)', () => {
  const f = parseProbeOutput(fixture('debian12-lab.txt'), req);

  it('reads what the lab host really is', () => {
    expect(f.hostname).toBe('cp2');
    expect(f.os).toMatchObject({ id: 'debian', versionId: '12', family: 'debian' });
    expect([f.arch, f.cpus, f.init, f.packageManager]).toEqual(['x86_64', 2, 'systemd', 'dpkg']);
    expect(f.interfaces.map((i) => [i.name, i.addresses, i.up])).toEqual([
      ['lo', ['127.0.0.1/8'], true],
      ['eth0', ['198.18.0.14/24'], true],
    ]);
    expect(f.disks.map((d) => [d.path, d.mountedOn, d.filesystem])).toEqual([
      ['/', '/', 'overlay'],
      ['/var', '/', 'overlay'],
    ]);
    // No modules at all in the lab; both functions are built into its kernel.
    expect(f.modules).toEqual({ br_netfilter: 'builtin', overlay: 'builtin' });
    expect(f.sysctls['net.bridge.bridge-nf-call-iptables']).toBe('1');
    expect(f.swap).toEqual({ activeBytes: 0, devices: [], fstabEntries: [] });
  });

  it('a fresh host: nothing managed installed, a masked unit, no time service', () => {
    expect(Object.values(f.packages).every((p) => !p.installed)).toBe(true);
    expect(f.units['systemd-timesyncd']).toEqual({ exists: true, active: false, enabled: false, activeState: 'inactive', unitFileState: 'masked' });
    expect(f.units.kubelet!.exists).toBe(false);
    expect(f.timeSync).toEqual({ service: 'none', source: 'timedatectl', synchronized: false, ntpEnabled: false });
    expect(f.files['/etc/hostname']).toMatchObject({ exists: true, content: 'cp2\n', mode: 0o644, owner: 'root' });
    expect(f.listeningPorts).toEqual([
      { proto: 'tcp', port: 22, address: '0.0.0.0', process: 'sshd' },
      { proto: 'tcp', port: 22, address: '::', process: 'sshd' },
    ]);
    expect(f.processes).toContain('sshd');
    expect(f.kubernetes.present).toBe(false);
    expect(f.missingTools).toEqual([]);
  });
});

describe('capabilities', () => {
  it('reads CAP_SYS_TIME (bit 25) from a CapBnd mask', async () => {
    const { hasCapability } = await import('../../src/facts/parse.js');
    expect(hasCapability('000001ffffffffff', 25)).toBe(true);
    // The lab's bounding set: all but CAP_SYS_MODULE (16), CAP_SYS_BOOT (22), CAP_SYS_TIME (25), CAP_SYS_RESOURCE (24).
    expect(hasCapability('000001fffcbeffff', 25)).toBe(false);
    expect(hasCapability('000001fffcbeffff', 21)).toBe(true);
    expect(hasCapability('not-hex', 25)).toBe(false);
  });
});

describe('readTar and file contents', () => {
  const tarOf = (dir: string, names: string[]) =>
    execFileSync('tar', ['-c', '-P', '--no-recursion', '--format=gnu', '-f', '-', '--', ...names.map((n) => join(dir, n))]);

  it('reads what GNU tar wrote, long names included', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hactl-tar-'));
    const long = `${'x'.repeat(150)}.conf`;
    writeFileSync(join(dir, 'a'), 'alpha\n');
    writeFileSync(join(dir, long), Buffer.alloc(1500, 7));
    const members = readTar(tarOf(dir, ['a', long]));
    expect(members.map((m) => [m.name, m.type, m.data.length])).toEqual([
      [join(dir, 'a'), '0', 6],
      [join(dir, long), '0', 1500],
    ]);
    expect(members[0]!.data.toString()).toBe('alpha\n');
  });

  it('refuses a truncated archive, also one cut between members', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hactl-tar-'));
    writeFileSync(join(dir, 'a'), Buffer.alloc(2000, 1));
    writeFileSync(join(dir, 'b'), 'b\n');
    const tar = tarOf(dir, ['a', 'b']);
    expect(() => readTar(tar.subarray(0, 1024))).toThrow(/truncated/);
    // a's header and 2000 bytes (4 blocks): b and the end blocks are missing.
    expect(() => readTar(tar.subarray(0, 512 * 5))).toThrow(/truncated/);
  });

  it("takes type, mode, owner and group from the headers, and bytes only when tar's status was 0", () => {
    const dir = mkdtempSync(join(tmpdir(), 'hactl-tar-'));
    const [file, link, sub, big, unarchived, gone] = ['a.conf', 'link', 'sub', 'big', 'sock', 'gone'].map((n) => join(dir, n)) as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    writeFileSync(file, 'x=1\n', { mode: 0o640 });
    chmodSync(file, 0o2640);
    symlinkSync('a.conf', link);
    mkdirSync(sub, { mode: 0o750 });
    writeFileSync(big, Buffer.alloc(70 * 1024, 9));
    const archive = tarOf(dir, ['a.conf', 'link', 'sub', 'big']);
    const who = { owner: execFileSync('id', ['-un'], { encoding: 'utf8' }).trim(), group: execFileSync('id', ['-gn'], { encoding: 'utf8' }).trim() };
    const paths = [file, link, sub, big, unarchived, gone];
    const files = parseFiles([`absent ${gone}`], [], paths, { data: archive, tarStatus: 0 });
    expect(files[file]).toEqual({
      exists: true,
      type: 'file',
      size: 4,
      mode: 0o2640,
      ...who,
      content: 'x=1\n',
      sha256: createHash('sha256').update('x=1\n').digest('hex'),
    });
    expect(files[link]).toMatchObject({ exists: true, type: 'symlink', mode: 0o777, linkTarget: 'a.conf' });
    expect(files[sub]).toMatchObject({ exists: true, type: 'directory', mode: 0o750 });
    expect(files[sub]!.sha256).toBeUndefined();
    // Over 64 KiB: hashed here, no content.
    expect(files[big]).toMatchObject({
      size: 70 * 1024,
      sha256: createHash('sha256')
        .update(Buffer.alloc(70 * 1024, 9))
        .digest('hex'),
    });
    expect(files[big]!.content).toBeUndefined();
    // Neither reported absent nor archived (as tar skips a socket): it exists, details unknown.
    expect(files[unarchived]).toEqual({ exists: true });
    expect(files[gone]).toEqual({ exists: false });
    // A file changed while tar read it: metadata stays, bytes do not.
    const changed = parseFiles([], [], [file], { data: archive, tarStatus: 1 });
    expect(changed[file]).toEqual({ exists: true, type: 'file', size: 4, mode: 0o2640, ...who });
  });

  it('a symlink keeps its target, also a long one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hactl-tar-'));
    const target = `/srv/${'t'.repeat(140)}/hosts`;
    symlinkSync(target, join(dir, 'hosts'));
    const files = parseFiles([], [], [join(dir, 'hosts')], { data: tarOf(dir, ['hosts']), tarStatus: 0 });
    expect(files[join(dir, 'hosts')]).toMatchObject({ type: 'symlink', linkTarget: target });
  });

  it('the immutable flag from lsattr and the read-only mount each path lies on', () => {
    const files = parseFiles(
      [],
      [],
      ['/etc/hosts', '/etc/hostname', '/etc/ro/x.conf', '/etc/ro2/y', '/var/lib/z'],
      undefined,
      ['----i---------e------- /etc/hosts', '--------------e------- /etc/hostname'],
      [
        'overlay / overlay rw,relatime,lowerdir=/a 0 0',
        'tmpfs /etc/ro tmpfs ro,nosuid 0 0',
        'tmpfs /etc/ro2 tmpfs ro 0 0',
        // Mounted over it read-write, and a name with a space (octal-escaped in mounts).
        'tmpfs /etc/ro2 tmpfs rw 0 0',
        'tmpfs /var/lib\\040z tmpfs ro 0 0',
      ],
    );
    expect(files['/etc/hosts']).toEqual({ exists: false });
    const existing = () => ({ exists: true, type: 'file' as const });
    const present = {
      '/etc/hosts': existing(),
      '/etc/hostname': existing(),
      '/etc/ro/x.conf': { exists: false },
      '/etc/ro2/y': { exists: false },
      '/var/lib z/q': { exists: false },
    };
    addFileAttributes(
      present,
      ['----i---------e------- /etc/hosts', '--------------e------- /etc/hostname'],
      [
        'overlay / overlay rw,relatime 0 0',
        'tmpfs /etc/ro tmpfs ro,nosuid 0 0',
        'tmpfs /etc/ro2 tmpfs ro 0 0',
        'tmpfs /etc/ro2 tmpfs rw 0 0',
        'tmpfs /var/lib\\040z tmpfs ro 0 0',
      ],
    );
    expect(present).toEqual({
      '/etc/hosts': { exists: true, type: 'file', immutable: true },
      '/etc/hostname': { exists: true, type: 'file' },
      '/etc/ro/x.conf': { exists: false, readOnlyMount: '/etc/ro' },
      '/etc/ro2/y': { exists: false },
      '/var/lib z/q': { exists: false, readOnlyMount: '/var/lib z' },
    });
    expect(files['/etc/ro/x.conf']).toEqual({ exists: false, readOnlyMount: '/etc/ro' });
  });

  it('splits the raw archive from the text: it ends at the final lines, whatever its bytes hold', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hactl-tar-'));
    // Content that looks like the probe's own markers must stay content.
    const data = Buffer.from('x\n@@hactl:archive-end 0\n@@hactl:done\n@@hactl:section files\n\xff\x00', 'latin1');
    writeFileSync(join(dir, 'a'), data);
    const path = join(dir, 'a');
    const text = '@@hactl:section files\n';
    const out = Buffer.concat([Buffer.from(`${text}\n@@hactl:archive\n`), tarOf(dir, ['a']), Buffer.from('\n@@hactl:archive-end 0\n@@hactl:done\n')]);
    const split = splitArchive(out);
    expect(split.text).toBe(`${text}\n@@hactl:done\n`);
    expect(split.tarStatus).toBe(0);
    expect(parseFiles(splitSections(split.text).sections.get('files')!, [], [path], { data: split.archive!, tarStatus: 0 })[path]).toMatchObject({
      size: data.length,
      sha256: createHash('sha256').update(data).digest('hex'),
    });
    // Cut short inside the archive: no end lines, so the output is incomplete.
    const cut = splitArchive(out.subarray(0, out.length - 600));
    expect(cut.archive).toBeUndefined();
    expect(splitSections(cut.text).complete).toBe(false);
  });
});

describe('cgroup mode and install candidates', () => {
  it('the cgroup mounts the probe prints: cgroup2 at the root is v2, tmpfs with cgroup2 at unified is hybrid, tmpfs alone v1', () => {
    expect(parseCgroupMode(['/sys/fs/cgroup cgroup2'])).toBe('v2');
    expect(parseCgroupMode(['/sys/fs/cgroup tmpfs', '/sys/fs/cgroup/unified cgroup2'])).toBe('hybrid');
    expect(parseCgroupMode(['/sys/fs/cgroup tmpfs'])).toBe('v1');
    expect(parseCgroupMode([])).toBe('unknown');
  });

  it("apt-cache policy's stanzas (architecture-qualified too) and dnf repoquery's lines", () => {
    const apt = [
      'containerd:',
      '  Installed: (none)',
      '  Candidate: 1.7.24~ds1-6+b4',
      '  Version table:',
      '     1.7.24~ds1-6+b4 500',
      '        500 http://deb.debian.org/debian trixie/main amd64 Packages',
      'containerd.io:amd64:',
      '  Installed: (none)',
      '  Candidate: (none)',
      '  Version table:',
    ];
    expect(parseCandidates(apt, ['containerd', 'containerd.io', 'runc'])).toEqual({ containerd: '1.7.24~ds1-6+b4', 'containerd.io': null, runc: null });
    expect(parseCandidates(['dnf', 'containerd.io\t0:1.7.27-3.1.el9'], ['containerd.io', 'containerd'])).toEqual({
      'containerd.io': '1.7.27-3.1.el9',
      containerd: null,
    });
  });
});
