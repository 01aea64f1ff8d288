// The lab's local apt repository: real Debian packages resolved against the base image's own dpkg
// status (so a bare host installs exactly what it lacks), plus the project's stand-in packages,
// pkgs.k8s.io-style signed repositories per Kubernetes minor, and containerd 2.x from Debian's
// next suite.
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, linkSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { run } from './exec.js';
import { APT_OPTIONS, LAB_OSES, baseRecipeHash, type LabOs } from './image.js';
import { cacheDir, labSourceDir, stateDir } from './paths.js';
import { ensureSigningKey, signRelease, signingKeyFingerprint } from './signing.js';
import { fetchDebianKubectl, realClientFor, repackageKubectl } from './real-kubectl.js';

/** What hosts may install from the mirror (with dependencies): what hactl's resources manage. */
export const MIRROR_PACKAGES = [
  'containerd',
  'runc',
  'haproxy',
  'keepalived',
  'nginx',
  'libnginx-mod-stream',
  'etcd-server',
  'etcd-client',
  'chrony',
  'conntrack',
  'socat',
  'iptables',
  'ebtables',
  'ipset',
  'ipvsadm',
  'ethtool',
  'kmod',
  'nodejs',
  'openssl',
  'python3',
  'curl',
  'ca-certificates',
  'gnupg',
  'busybox-static',
  'jq',
];

const standinsDir = join(labSourceDir, 'standins');
const standinsScript = join(standinsDir, 'build.sh');
const ARCH = 'amd64';
const REPOS = ['debian', 'kubernetes'] as const;
/**
 * Debian's next suite, whose containerd 2.x the mirror serves as a separate flat repository
 * (`containerd-2/`): a lab spec that lists it gets containerd 2.x, one that does not keeps the
 * OS's own containerd. Pinned low in the builder's apt, so nothing else comes from it.
 */
export const NEWER_SUITE = 'forky';
export const CONTAINERD_2_REPO = 'containerd-2';
/** Public key of the per-minor repositories, for lab specs' packages.kubernetesRepository.keyFile. */
export const REPOSITORY_KEY_FILE = join(stateDir, 'kubernetes-release.asc');

function hashTree(h: ReturnType<typeof createHash>, dir: string): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) hashTree(h, p);
    // The stand-ins' own tests do not go into the packages.
    else if (st.isFile() && !/\.test\.ts$|^vitest\.config\.ts$/.test(name)) {
      h.update(relative(standinsDir, p));
      h.update(readFileSync(p));
    }
  }
}

export function mirrorRecipeHash(os: LabOs): string {
  const h = createHash('sha256');
  h.update(os);
  h.update(baseRecipeHash(os));
  h.update(signingKeyFingerprint() ?? 'no key yet');
  h.update(JSON.stringify({ MIRROR_PACKAGES, NEWER_SUITE }));
  h.update(readFileSync(new URL(import.meta.url)));
  h.update(readFileSync(new URL('./real-kubectl.ts', import.meta.url)));
  hashTree(h, standinsDir);
  return h.digest('hex').slice(0, 16);
}

/** apt with its own Dir: the base image's sources, keys and dpkg status; outer machine untouched. */
function scratchApt(baseDir: string, scratch: string): NodeJS.ProcessEnv {
  rmSync(scratch, { recursive: true, force: true });
  for (const d of ['etc', 'var/lib/dpkg', 'var/lib/apt/lists/partial', 'var/cache/apt/archives/partial']) {
    mkdirSync(join(scratch, d), { recursive: true });
  }
  cpSync(join(baseDir, 'etc/apt'), join(scratch, 'etc/apt'), { recursive: true });
  // The next suite, below the OS's own (priority 100 < 500): only what is asked for by suite.
  mkdirSync(join(scratch, 'etc/apt/sources.list.d'), { recursive: true });
  mkdirSync(join(scratch, 'etc/apt/preferences.d'), { recursive: true });
  writeFileSync(join(scratch, 'etc/apt/sources.list.d/newer.list'), `deb http://deb.debian.org/debian ${NEWER_SUITE} main\n`);
  writeFileSync(join(scratch, 'etc/apt/preferences.d/newer.pref'), `Package: *\nPin: release n=${NEWER_SUITE}\nPin-Priority: 100\n`);
  copyFileSync(join(baseDir, 'var/lib/dpkg/status'), join(scratch, 'var/lib/dpkg/status'));
  const ext = join(baseDir, 'var/lib/apt/extended_states');
  if (existsSync(ext)) copyFileSync(ext, join(scratch, 'var/lib/apt/extended_states'));
  const conf = join(scratch, 'apt.conf');
  writeFileSync(
    conf,
    [
      `Dir "${scratch}/";`,
      `Dir::State::status "${scratch}/var/lib/dpkg/status";`,
      'Dir::Bin::dpkg "/usr/bin/dpkg";',
      `APT::Architecture "${ARCH}";`,
      'APT::Architectures { "' + ARCH + '"; };',
      ...APT_OPTIONS.map((o) => `${o};`),
      '',
    ].join('\n'),
  );
  return { ...process.env, APT_CONFIG: conf, DEBIAN_FRONTEND: 'noninteractive' };
}

/** Package names a .deb depends on (first alternative, no versions), to fetch them too. */
async function debDepends(deb: string): Promise<string[]> {
  const { stdout } = await run('dpkg-deb', ['-f', deb, 'Depends', 'Pre-Depends']);
  const names: string[] = [];
  for (const line of stdout.split('\n')) {
    const value = line.replace(/^[A-Za-z-]+:\s*/, '');
    for (const clause of value.split(',')) {
      const first = clause
        .split('|')[0]
        ?.trim()
        .split(/[\s(:]/)[0];
      if (first) names.push(first);
    }
  }
  return names;
}

async function debField(deb: string, field: string): Promise<string> {
  return (await run('dpkg-deb', ['-f', deb, field])).stdout.trim();
}

function writeRelease(dir: string, label: string): void {
  const files = ['Packages', 'Packages.gz'].map((name) => {
    const data = readFileSync(join(dir, name));
    return ` ${createHash('sha256').update(data).digest('hex')} ${data.length} ${name}`;
  });
  // A small Release keeps `apt-get update` from probing for (and logging) missing index files.
  const release = ['Origin: hactl-lab', `Label: ${label}`, `Date: ${new Date().toUTCString()}`, `Architectures: ${ARCH} all`, 'SHA256:', ...files, ''].join(
    '\n',
  );
  writeFileSync(join(dir, 'Release'), release);
}

/**
 * Three flat repositories over one pool, Filename fields relative to the mirror root:
 * `./` (everything), `debian/` (Debian's packages) and `kubernetes/` (the stand-ins), so a spec
 * can list OS and Kubernetes sources separately, as with real mirrors.
 */
async function writeIndexes(dir: string): Promise<void> {
  const parts: string[] = [];
  for (const set of REPOS) {
    mkdirSync(join(dir, set), { recursive: true });
    mkdirSync(join(dir, 'pool', set), { recursive: true });
    // -m: index every version of a package, not just the newest.
    const { stdout } = await run('dpkg-scanpackages', ['-m', `pool/${set}`, '/dev/null'], { cwd: dir });
    writeFileSync(join(dir, set, 'Packages'), stdout);
    await run('gzip', ['-9nkf', 'Packages'], { cwd: join(dir, set) });
    writeRelease(join(dir, set), `hactl-lab ${set}`);
    if (stdout.trim()) parts.push(stdout.trim());
  }
  writeFileSync(join(dir, 'Packages'), parts.length ? `${parts.join('\n\n')}\n` : '');
  await run('gzip', ['-9nkf', 'Packages'], { cwd: dir });
  writeRelease(dir, 'hactl-lab');
}

/**
 * Writes Packages, Packages.gz and Release of the flat repository `dir` whose .debs lie in `debDir`
 * below `root`, the archive root its apt source line names (Filename fields are relative to it).
 */
async function writeFlatRepo(dir: string, label: string, root: string, debDir: string): Promise<void> {
  const { stdout } = await run('dpkg-scanpackages', ['-m', debDir, '/dev/null'], { cwd: root });
  writeFileSync(join(dir, 'Packages'), stdout);
  await run('gzip', ['-9nkf', 'Packages'], { cwd: dir });
  writeRelease(dir, label);
}

/** `kubeadm_1.37.2-1.1_amd64.deb` → its Kubernetes minor (`1.37`); cri-tools by its own minor. */
function debMinor(name: string): string | undefined {
  return /^(?:kubeadm|kubelet|kubectl|cri-tools)_(\d+\.\d+)\./.exec(name)?.[1];
}

/**
 * pkgs.k8s.io's layout: one flat repository per minor at `core:/stable:/v1.NN/deb/` holding that
 * minor's kubeadm, kubelet, kubectl, cri-tools and kubernetes-cni, with a Release signed by the
 * lab's key (InRelease, Release.gpg) and the public key beside it (Release.key).
 */
async function writeMinorRepos(dir: string, debs: string[]): Promise<string[]> {
  const minors = [...new Set(debs.map(debMinor).filter((m): m is string => m !== undefined && debs.some((d) => d.startsWith(`kubeadm_${m}.`))))].sort();
  const publicKey = readFileSync(await ensureSigningKey(), 'utf8');
  for (const minor of minors) {
    const repo = join(dir, 'core:', 'stable:', `v${minor}`, 'deb');
    mkdirSync(join(repo, ARCH), { recursive: true });
    for (const name of debs) {
      if (debMinor(name) === minor || name.startsWith('kubernetes-cni_')) {
        linkSync(join(dir, 'pool', 'kubernetes', name), join(repo, ARCH, name));
      }
    }
    // Its own archive root (`deb .../core:/stable:/v1.NN/deb/ /`), as pkgs.k8s.io.
    await writeFlatRepo(repo, `hactl-lab Kubernetes v${minor}`, repo, ARCH);
    await signRelease(repo);
    writeFileSync(join(repo, 'Release.key'), publicKey);
  }
  return minors;
}

/**
 * containerd 2.x from Debian's next suite, alone in its own flat repository: its dependencies
 * (runc, libc6) come from the OS's own packages, which the simulation below proves against the
 * base image before the mirror is published.
 */
async function addContainerd2(dir: string, env: NodeJS.ProcessEnv, log: (msg: string) => void): Promise<void> {
  const repo = join(dir, CONTAINERD_2_REPO);
  mkdirSync(join(repo, ARCH), { recursive: true });
  const sim = await run('apt-get', ['-s', '-q', 'install', `containerd/${NEWER_SUITE}`], { env, allowFailure: true });
  if (sim.code !== 0) {
    throw new Error(`containerd from ${NEWER_SUITE} does not install on this OS:\n${(sim.stdout + sim.stderr).trim()}`);
  }
  await run('apt-get', ['-q', 'download', `containerd/${NEWER_SUITE}`], { env, cwd: join(repo, ARCH) });
  // Listed like debian/ (`deb URL containerd-2/`): the archive root is the mirror's.
  await writeFlatRepo(repo, `hactl-lab containerd from ${NEWER_SUITE}`, dir, `${CONTAINERD_2_REPO}/${ARCH}`);
  const version = /^Inst containerd \(([^ )]+)/m.exec(sim.stdout)?.[1] ?? '?';
  log(`containerd ${version} from ${NEWER_SUITE} in ${CONTAINERD_2_REPO}/`);
}

/** Which kubectl each Kubernetes version's package holds in the mirror (`kubectl-clients.json`). */
export interface KubectlClientRecord {
  version: string;
  client: 'stand-in' | { debianVersion: string; suite: string };
}

/**
 * Replaces each stand-in kubectl in `dir` by Debian's real one where a real client is within ±1
 * minor of its version (see real-kubectl.ts), and records the choice beside the packages.
 */
async function useRealKubectl(dir: string, debs: string[], env: NodeJS.ProcessEnv, log: (msg: string) => void): Promise<void> {
  const clients = await fetchDebianKubectl(env, [...new Set(Object.values(LAB_OSES).map((o) => o.suite)), NEWER_SUITE]);
  const records: KubectlClientRecord[] = [];
  for (const name of debs) {
    const version = /^kubectl_([^_]+)_/.exec(name)?.[1];
    if (!version) continue;
    const client = realClientFor(version, clients);
    if (client) await repackageKubectl(client, version, dir);
    records.push({ version, client: client ? { debianVersion: client.debianVersion, suite: client.suite } : 'stand-in' });
  }
  writeFileSync(join(dir, '..', 'kubectl-clients.json'), `${JSON.stringify(records, null, 2)}\n`);
  const real = records.filter((r) => r.client !== 'stand-in');
  log(
    `real kubectl (${clients.map((c) => `${c.debianVersion} from ${c.suite}`).join(', ') || 'none found'}) as ${real.map((r) => r.version).join(', ') || 'no version'}`,
  );
}

/** Returns the mirror directory (pool/, Packages, Release), building it when its inputs changed. */
export async function ensureMirror(os: LabOs, baseDir: string, log: (msg: string) => void = () => undefined): Promise<string> {
  await ensureSigningKey();
  const hash = mirrorRecipeHash(os);
  const dir = join(cacheDir, `mirror-${hash}`);
  if (existsSync(join(dir, '.complete'))) return dir;
  const started = Date.now();
  log(`building ${os} package mirror ${hash}`);
  const tmp = `${dir}.building-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const pool = join(tmp, 'pool', 'debian');
  const ownPool = join(tmp, 'pool', 'kubernetes');
  mkdirSync(pool, { recursive: true });
  mkdirSync(ownPool, { recursive: true });
  try {
    const wanted = new Set(MIRROR_PACKAGES);
    const own = new Set<string>();
    let debs: string[] = [];
    const env = scratchApt(baseDir, join(cacheDir, `apt-scratch-${os}`));
    await run('apt-get', ['-q', 'update'], { env });
    if (existsSync(standinsScript)) {
      const out = join(tmp, 'standins');
      mkdirSync(out);
      await run('bash', [standinsScript, out], { timeoutMs: 600_000 });
      debs = readdirSync(out).filter((n) => n.endsWith('.deb'));
      await useRealKubectl(out, debs, env, log);
      for (const name of debs) own.add(await debField(join(out, name), 'Package'));
      for (const name of debs) {
        for (const dep of await debDepends(join(out, name))) if (!own.has(dep)) wanted.add(dep);
        renameSync(join(out, name), join(ownPool, name));
      }
      rmSync(out, { recursive: true, force: true });
      log(`added ${debs.length} stand-in package(s)`);
    }
    await run('apt-get', ['-q', '-y', '--download-only', `-o`, `Dir::Cache::archives=${pool}/`, 'install', ...wanted], { env });
    rmSync(join(pool, 'partial'), { recursive: true, force: true });
    rmSync(join(pool, 'lock'), { force: true });
    await writeIndexes(tmp);
    const minors = await writeMinorRepos(tmp, debs);
    log(`signed repositories for Kubernetes ${minors.map((m) => `v${m}`).join(', ')} (${LAB_OSES[os].suite})`);
    await addContainerd2(tmp, env, log);
    writeFileSync(join(tmp, '.complete'), `${hash}\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  const count = REPOS.reduce((n, set) => n + readdirSync(join(dir, 'pool', set)).length, 0);
  log(`mirror built in ${((Date.now() - started) / 1000).toFixed(1)} s: ${count} packages`);
  return dir;
}

/** Puts the per-minor repositories' public key where lab specs' keyFile points. */
export function writeRepositoryKey(mirrorDir: string): void {
  const key = readdirSync(join(mirrorDir, 'core:', 'stable:')).sort()[0];
  if (key === undefined) throw new Error(`mirror ${mirrorDir} has no per-minor repository`);
  mkdirSync(stateDir, { recursive: true });
  copyFileSync(join(mirrorDir, 'core:', 'stable:', key, 'deb', 'Release.key'), REPOSITORY_KEY_FILE);
}

export function mirrorUrl(address: string, port: number): string {
  return `http://${address}:${port}/`;
}

/** The apt source line for the lab mirror: everything, or only Debian's, the stand-ins or containerd 2.x. */
export function mirrorSourceLine(url: string, repo: 'all' | 'debian' | 'kubernetes' | typeof CONTAINERD_2_REPO = 'all'): string {
  return `deb [trusted=yes] ${url} ${repo === 'all' ? './' : `${repo}/`}`;
}

/** The URL of one minor's signed repository in the mirror (`minor` as `1.37`). */
export function minorRepoUrl(url: string, minor: string): string {
  return `${url}core:/stable:/v${minor}/deb/`;
}

/** Mirrors of older inputs (the current one of each OS stays); safe to delete only while no lab serves them. */
export function staleMirrors(): string[] {
  if (!existsSync(cacheDir)) return [];
  const current = new Set(Object.keys(LAB_OSES).map((os) => `mirror-${mirrorRecipeHash(os as LabOs)}`));
  return readdirSync(cacheDir)
    .filter((n) => n.startsWith('mirror-') && !n.includes('.building-') && !current.has(n))
    .map((n) => join(cacheDir, n));
}
