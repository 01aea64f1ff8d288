// Tests of the host lab itself: real hosts, real SSH, real isolation, real packages, clean teardown.
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { procStart } from '../lab/procs.js';
import {
  BRIDGE,
  clientKeyFile,
  hostsFile,
  knownHostsFile,
  ledgerFile,
  findProcesses,
  hostMemoryBytes,
  killHost,
  killProcess,
  labDown,
  labStatus,
  labUp,
  linkDown,
  linkUp,
  minorRepoUrl,
  mirrorSourceLine,
  readLabState,
  CONTAINERD_2_REPO,
  REPOSITORY_KEY_FILE,
  sshArgs,
  sshExec,
  startHost,
  startSshd,
  stopHost,
  stopSshd,
  type LabState,
} from '../lab/index.js';

const log = (m: string): void => console.error(`lab: ${m}`);

function current(): LabState {
  const s = readLabState();
  if (!s) throw new Error('lab is not up');
  return s;
}

function sshWithKnownHosts(address: string, knownHosts: string, command: string): Promise<number> {
  const args = sshArgs(address).map((a) => (a.startsWith('UserKnownHostsFile=') ? `UserKnownHostsFile=${knownHosts}` : a));
  return new Promise((resolvePromise) => {
    const child = spawn('ssh', [...args, '--', command], { stdio: 'ignore' });
    child.on('close', (code) => resolvePromise(code ?? 255));
  });
}

async function sshWorks(host: string): Promise<boolean> {
  return (await sshExec(host, 'true', { timeoutMs: 8000 })).code === 0;
}

async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return check();
}

/**
 * The process runs. A zombie does not: it is dead, and once the lab has killed its parent too it
 * waits for the machine's PID 1 to collect its exit status, which may take a while.
 */
const running = (pid: number): boolean => procStart(pid) !== undefined;

/** Everything the lab could leave behind on the outer machine. */
async function leftovers(pids: number[]): Promise<string[]> {
  const found: string[] = [];
  const s = await labStatus();
  if (s.leftovers.netns.length) found.push(`netns ${s.leftovers.netns.join(' ')}`);
  if (s.leftovers.links.length) found.push(`links ${s.leftovers.links.join(' ')}`);
  if (s.leftovers.cgroups) found.push('cgroups');
  if (s.leftovers.hostDirs.length) found.push(`host dirs ${s.leftovers.hostDirs.join(' ')}`);
  if (s.mirrorRunning) found.push('mirror server');
  const alive = pids.filter(running);
  if (alive.length) found.push(`processes ${alive.join(' ')}`);
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.includes('hactl-lab'));
  if (mounts.length) found.push(`mounts ${mounts.join('; ')}`);
  if (readLabState() !== undefined) found.push('.lab/hosts.json');
  return found;
}

describe('host lab (ha-stacked)', () => {
  it('provides the lab state to tests, matching .lab/hosts.json', () => {
    const provided = inject('lab');
    expect(provided.topology).toBe('ha-stacked');
    expect(provided.hosts.map((h) => h.name)).toEqual(['lb1', 'lb2', 'cp1', 'cp2', 'cp3', 'w1', 'w2']);
    expect(provided.bridge).toBe(BRIDGE);
    const onDisk = current();
    expect(onDisk.hosts.map((h) => h.address)).toEqual(provided.hosts.map((h) => h.address));
  });

  it('reaches every host over SSH with strict host key checking against the lab known_hosts', async () => {
    const state = current();
    const results = await Promise.all(state.hosts.map((h) => sshExec(h.name, 'hostname; cat /proc/1/comm')));
    results.forEach((r, i) => {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.split('\n').slice(0, 2)).toEqual([state.hosts[i]?.name, 'systemd']);
    });
    const lines = readFileSync(knownHostsFile, 'utf8').trim().split('\n');
    expect(lines.map((l) => l.split(' ')[0])).toEqual(state.hosts.map((h) => h.address));
    expect(new Set(lines.map((l) => l.split(' ')[2])).size).toBe(state.hosts.length);
  });

  it('refuses a host whose key is not the one in known_hosts', async () => {
    const state = current();
    const [a, b] = state.hosts;
    if (!a || !b) throw new Error('need two hosts');
    const dir = mkdtempSync(join(tmpdir(), 'hl-kh-'));
    try {
      const lines = readFileSync(knownHostsFile, 'utf8').trim().split('\n');
      const bKey = lines
        .find((l) => l.startsWith(`${b.address} `))
        ?.split(' ')
        .slice(1)
        .join(' ');
      const wrong = join(dir, 'known_hosts');
      // a's address with b's key: ssh must refuse to talk to a.
      writeFileSync(wrong, `${a.address} ${bKey}\n`);
      expect(await sshWithKnownHosts(a.address, wrong, 'true')).toBe(255);
      writeFileSync(wrong, '');
      expect(await sshWithKnownHosts(a.address, wrong, 'true')).toBe(255);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives each host its own filesystem, hostname, PIDs and network', async () => {
    const state = current();
    const marker = `/root/lab-marker-${randomBytes(6).toString('hex')}`;
    const [first, ...others] = state.hosts;
    if (!first) throw new Error('no hosts');
    expect((await sshExec(first.name, `echo here > ${marker} && cat ${marker}`)).stdout).toBe('here\n');
    for (const h of others) {
      expect((await sshExec(h.name, `test -e ${marker}`)).code).toBe(1);
    }
    expect(existsSync(marker)).toBe(false);
    const r = await sshExec(first.name, 'ps -e --no-headers | wc -l; ip -o -4 addr show eth0; ip route get 192.0.2.1 || echo no-route');
    const [count, addr, ...route] = r.stdout.trim().split('\n');
    expect(Number(count)).toBeLessThan(30);
    expect(addr).toContain(`${first.address}/24`);
    expect(route.join('\n')).toContain('no-route');
    rmSync(marker, { force: true });
  });

  it('runs systemd as PID 1: systemctl starts and stops units', async () => {
    const state = current();
    const h = state.hosts[2];
    if (!h) throw new Error('need a third host');
    const r = await sshExec(
      h.name,
      'systemctl is-system-running; systemd-detect-virt; systemd-run --quiet --unit=lab-probe sleep 600; ' +
        'systemctl is-active lab-probe; systemctl stop lab-probe; systemctl is-active lab-probe',
    );
    expect(r.stdout.trim().split('\n')).toEqual(['running', 'container-other', 'active', 'inactive']);
    const mem = hostMemoryBytes(h.name);
    expect(mem).toBeGreaterThan(1 << 20);
    log(`memory of systemd host ${h.name}: ${((mem ?? 0) / 1048576).toFixed(1)} MiB`);
  });

  it('installs packages with apt-get from the local mirror, on that host only', async () => {
    const state = current();
    const source = mirrorSourceLine(state.mirrorUrl);
    const started = Date.now();
    const r = await sshExec(
      'w1',
      `rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*; echo '${source}' > /etc/apt/sources.list.d/lab.list && ` +
        'apt-get -q update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get -q -y install socat >/dev/null && ' +
        'dpkg-query -W -f="\\${Status}" socat && socat -V >/dev/null && echo socat-runs',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('install ok installed');
    expect(r.stdout).toContain('socat-runs');
    log(`apt-get update + install socat from the mirror: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect((await sshExec('w2', 'command -v socat')).code).not.toBe(0);
  });

  it('serves Debian and the stand-in packages also as separate repositories', async () => {
    const state = current();
    const index = async (repo: string): Promise<string[]> => {
      const res = await fetch(`${state.mirrorUrl}${repo}Packages`);
      expect(res.status).toBe(200);
      return [...(await res.text()).matchAll(/^Package: (\S+)$/gm)].map((m) => m[1] as string);
    };
    const all = await index('');
    const debian = await index('debian/');
    const kube = await index('kubernetes/');
    expect(debian).toEqual(expect.arrayContaining(['containerd', 'runc', 'haproxy', 'keepalived', 'etcd-server', 'nodejs']));
    expect([...debian, ...kube].sort()).toEqual([...all].sort());
    const sources = [mirrorSourceLine(state.mirrorUrl, 'debian'), mirrorSourceLine(state.mirrorUrl, 'kubernetes')].join('\\n');
    const r = await sshExec(
      'w2',
      `rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*; printf '${sources}\\n' > /etc/apt/sources.list.d/lab.list && ` +
        'apt-get -q update >/dev/null && apt-cache pkgnames | sort -u',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')).toEqual(expect.arrayContaining([...new Set([...debian, ...kube])]));
  });

  it('runs Debian 13 by default and records the OS in the lab state', async () => {
    expect(current().os).toBe('debian-13');
    const r = await sshExec('cp1', '. /etc/os-release; echo "$ID $VERSION_ID $VERSION_CODENAME"');
    expect(r.stdout.trim()).toBe('debian 13 trixie');
  });

  it('serves one signed repository per Kubernetes minor that apt verifies with the lab key (signed-by)', async () => {
    const state = current();
    const key = readFileSync(REPOSITORY_KEY_FILE, 'utf8');
    expect(key).toContain('-----BEGIN PGP PUBLIC KEY BLOCK-----');
    for (const minor of ['1.34', '1.35', '1.36', '1.37']) {
      const base = minorRepoUrl(state.mirrorUrl, minor);
      for (const f of ['InRelease', 'Release', 'Release.gpg', 'Release.key', 'Packages']) expect((await fetch(`${base}${f}`)).status, `${base}${f}`).toBe(200);
      expect(await (await fetch(`${base}Release.key`)).text()).toBe(key);
    }
    const repo = (keyFile: string): string => `deb [signed-by=${keyFile}] ${minorRepoUrl(state.mirrorUrl, '1.37')} /`;
    // The real key: apt verifies InRelease and offers exactly that minor's packages.
    const ok = await sshExec(
      'w2',
      `mkdir -p /etc/apt/keyrings && cat > /etc/apt/keyrings/lab-k8s.asc <<'K'\n${key}K\n` +
        `echo '${repo('/etc/apt/keyrings/lab-k8s.asc')}' > /etc/apt/sources.list.d/lab.list && ` +
        'apt-get -q update 2>&1 && apt-cache madison kubeadm cri-tools',
    );
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/kubeadm \| 1\.37\.2-1\.1 \| \S+core:\/stable:\/v1\.37\/deb {2}Packages/);
    expect(ok.stdout).toContain('1.37.1-1.1');
    expect(ok.stdout).toContain('cri-tools | 1.37.0-1.1');
    expect(ok.stdout).not.toContain('1.36.4');
    // Another key: apt refuses the repository rather than trusting it.
    const wrong = await sshExec(
      'w2',
      `cp /usr/share/keyrings/debian-archive-keyring.gpg /etc/apt/keyrings/other.gpg && echo '${repo('/etc/apt/keyrings/other.gpg')}' > /etc/apt/sources.list.d/lab.list && ` +
        'apt-get -q update 2>&1; rm -f /etc/apt/sources.list.d/lab.list /etc/apt/keyrings/other.gpg',
    );
    expect(wrong.stdout).toMatch(/NO_PUBKEY|not signed|Missing key|is not signed/);
  });

  it("serves containerd 2.x from Debian's next suite as its own repository, installable on Debian 13", async () => {
    const state = current();
    const sources = [mirrorSourceLine(state.mirrorUrl, 'debian'), mirrorSourceLine(state.mirrorUrl, CONTAINERD_2_REPO)].join('\n');
    const started = Date.now();
    const r = await sshExec(
      'w1',
      `rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*; printf '${sources}\n' > /etc/apt/sources.list.d/lab.list && ` +
        'apt-get -q update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get -q -y install containerd >/dev/null && containerd --version && ' +
        'systemctl is-active containerd',
      { timeoutMs: 300_000 },
    );
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/^containerd \S+ 2\.\d+\.\d+/m);
    expect(r.stdout).toContain('active');
    log(`containerd 2.x from ${CONTAINERD_2_REPO}/ installed and running: ${((Date.now() - started) / 1000).toFixed(1)} s; ${r.stdout.split('\n')[0]}`);
  });

  it('stops and starts sshd, kills a process by name, takes a link down and up', async () => {
    await stopSshd('w2');
    expect(await sshWorks('w2')).toBe(false);
    await startSshd('w2');
    expect(await eventually(() => sshWorks('w2'), 10_000)).toBe(true);

    const before = findProcesses('w2', 'systemd-logind');
    expect(before.length).toBe(1);
    expect(killProcess('w2', 'systemd-logind')).toEqual(before);
    // systemd restarts logind: a new process with another outer PID.
    expect(
      await eventually(async () => {
        const now = findProcesses('w2', 'systemd-logind');
        return now.length === 1 && now[0] !== before[0];
      }, 15_000),
    ).toBe(true);

    await linkDown('lb2');
    expect(await sshWorks('lb2')).toBe(false);
    const lb2 = current().hosts.find((h) => h.name === 'lb2')?.address;
    const probe = `timeout 2 bash -c '</dev/tcp/${lb2}/22' 2>/dev/null || echo unreachable`;
    expect((await sshExec('lb1', probe)).stdout).toBe('unreachable\n');
    await linkUp('lb2');
    expect(await eventually(() => sshWorks('lb2'), 10_000)).toBe(true);
  });

  it('stops, kills and restarts a whole host, keeping its disk and host key', async () => {
    const marker = `/root/kept-${randomBytes(4).toString('hex')}`;
    expect((await sshExec('cp3', `touch ${marker}`)).code).toBe(0);
    const pidBefore = current().hosts.find((h) => h.name === 'cp3')?.pid;
    await killHost('cp3');
    expect(pidBefore !== undefined && running(pidBefore)).toBe(false);
    expect(await sshWorks('cp3')).toBe(false);
    await startHost('cp3');
    expect((await sshExec('cp3', `test -e ${marker} && systemctl is-system-running`)).stdout).toBe('running\n');
    await stopHost('cp3');
    expect(await sshWorks('cp3')).toBe(false);
    await startHost('cp3');
    expect(await sshWorks('cp3')).toBe(true);
    expect(current().hosts.find((h) => h.name === 'cp3')?.pid).not.toBe(pidBefore);
  });
});

describe('host lab lifecycle', () => {
  it('cleans up after a crashed run that lost its state files', async () => {
    const crashed = current();
    const ledger = JSON.parse(readFileSync(ledgerFile, 'utf8')) as { mirror?: { pid: number } };
    const mirrorPid = ledger.mirror?.pid;
    expect(mirrorPid !== undefined && running(mirrorPid)).toBe(true);
    rmSync(ledgerFile);
    rmSync(hostsFile);
    // Debian 12 too: the same topology code, the other OS's image and mirror.
    const single = await labUp({ topology: 'single', os: 'debian-12', log });
    expect(single.os).toBe('debian-12');
    expect((await sshExec('node1', '. /etc/os-release; echo "$VERSION_ID"')).stdout.trim()).toBe('12');
    // SIGKILLed hosts finish exiting (a PID namespace's teardown) within moments.
    const deadline = Date.now() + 5000;
    while (crashed.hosts.some((h) => running(h.pid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(crashed.hosts.filter((h) => running(h.pid)).map((h) => h.name)).toEqual([]);
    const newMirror = (JSON.parse(readFileSync(ledgerFile, 'utf8')) as { mirror?: { pid: number } }).mirror?.pid;
    expect(newMirror).not.toBe(mirrorPid);
    expect(running(mirrorPid!)).toBe(false);
    const netns = readdirSync('/run/netns').filter((n) => n.startsWith('hl-'));
    expect(netns).toEqual(['hl-node1']);
    expect((await sshExec('node1', 'hostname')).stdout).toBe('node1\n');
    expect(single.hosts).toHaveLength(1);
  });

  it('leaves nothing behind after down; runs light hosts; comes back up', async () => {
    const pidsOf = (s: LabState): number[] => s.hosts.map((h) => h.pid);
    let pids = pidsOf(current());
    let started = Date.now();
    await labDown({ log });
    log(`teardown of one host: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(await leftovers(pids)).toEqual([]);
    expect(existsSync(clientKeyFile)).toBe(true);

    started = Date.now();
    const external = await labUp({ topology: 'ha-external', log });
    log(`ha-external up: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const names = ['lb1', 'lb2', 'etcd1', 'etcd2', 'etcd3', 'cp1', 'cp2', 'cp3', 'w1'];
    expect(external.hosts.map((h) => h.name)).toEqual(names);
    const hostnames = await Promise.all(external.hosts.map((h) => sshExec(h.name, 'hostname')));
    expect(hostnames.map((r) => r.stdout.trim())).toEqual(names);
    pids = pidsOf(external);
    started = Date.now();
    await labDown({ log });
    log(`teardown of ha-external: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(await leftovers(pids)).toEqual([]);

    started = Date.now();
    const light = await labUp({ light: 20, log });
    log(`20 light hosts up: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(light.hosts).toHaveLength(20);
    const results = await Promise.all(light.hosts.map((h) => sshExec(h.name, 'hostname; cat /proc/1/comm')));
    results.forEach((r, i) => expect(r.stdout).toBe(`${light.hosts[i]?.name}\ntini\n`));
    const mem = light.hosts.map((h) => hostMemoryBytes(h.name) ?? 0);
    log(`memory per light host: ${(mem.reduce((a, b) => a + b, 0) / mem.length / 1048576).toFixed(1)} MiB`);
    pids = pidsOf(light);
    started = Date.now();
    await labDown({ log });
    log(`teardown of 20 light hosts: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(await leftovers(pids)).toEqual([]);
    const netns = existsSync('/run/netns') ? readdirSync('/run/netns') : [];
    expect(netns.filter((n) => n.startsWith('hl-'))).toEqual([]);

    // The other end-to-end tests expect the lab the global setup brought up.
    started = Date.now();
    const again = await labUp({ topology: 'ha-stacked', log });
    log(`ha-stacked up again: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(again.hosts).toHaveLength(7);
  });
});
