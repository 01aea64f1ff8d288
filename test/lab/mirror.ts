// The lab's local apt repository: real Debian packages resolved against the base image's own dpkg
// status (so a bare host installs exactly what it lacks), plus the project's stand-in packages.
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { run } from './exec.js';
import { APT_OPTIONS, baseRecipeHash } from './image.js';
import { cacheDir, labSourceDir } from './paths.js';

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

export function mirrorRecipeHash(): string {
  const h = createHash('sha256');
  h.update(baseRecipeHash());
  h.update(JSON.stringify(MIRROR_PACKAGES));
  h.update(readFileSync(new URL(import.meta.url)));
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
      const first = clause.split('|')[0]?.trim().split(/[\s(:]/)[0];
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
  const release = [
    'Origin: hactl-lab',
    `Label: ${label}`,
    `Date: ${new Date().toUTCString()}`,
    `Architectures: ${ARCH} all`,
    'SHA256:',
    ...files,
    '',
  ].join('\n');
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

/** Returns the mirror directory (pool/, Packages, Release), building it when its inputs changed. */
export async function ensureMirror(baseDir: string, log: (msg: string) => void = () => undefined): Promise<string> {
  const hash = mirrorRecipeHash();
  const dir = join(cacheDir, `mirror-${hash}`);
  if (existsSync(join(dir, '.complete'))) return dir;
  const started = Date.now();
  log(`building package mirror ${hash}`);
  const tmp = `${dir}.building-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const pool = join(tmp, 'pool', 'debian');
  const ownPool = join(tmp, 'pool', 'kubernetes');
  mkdirSync(pool, { recursive: true });
  mkdirSync(ownPool, { recursive: true });
  try {
    const wanted = new Set(MIRROR_PACKAGES);
    const own = new Set<string>();
    if (existsSync(standinsScript)) {
      const out = join(tmp, 'standins');
      mkdirSync(out);
      await run('bash', [standinsScript, out], { timeoutMs: 600_000 });
      const debs = readdirSync(out).filter((n) => n.endsWith('.deb'));
      for (const name of debs) own.add(await debField(join(out, name), 'Package'));
      for (const name of debs) {
        for (const dep of await debDepends(join(out, name))) if (!own.has(dep)) wanted.add(dep);
        renameSync(join(out, name), join(ownPool, name));
      }
      rmSync(out, { recursive: true, force: true });
      log(`added ${debs.length} stand-in package(s)`);
    }
    const env = scratchApt(baseDir, join(cacheDir, 'apt-scratch'));
    await run('apt-get', ['-q', 'update'], { env });
    await run(
      'apt-get',
      ['-q', '-y', '--download-only', `-o`, `Dir::Cache::archives=${pool}/`, 'install', ...wanted],
      { env },
    );
    rmSync(join(pool, 'partial'), { recursive: true, force: true });
    rmSync(join(pool, 'lock'), { force: true });
    await writeIndexes(tmp);
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

export function mirrorUrl(address: string, port: number): string {
  return `http://${address}:${port}/`;
}

/** The apt source line for the lab mirror: everything, or only Debian's or the stand-in packages. */
export function mirrorSourceLine(url: string, repo: 'all' | 'debian' | 'kubernetes' = 'all'): string {
  return `deb [trusted=yes] ${url} ${repo === 'all' ? './' : `${repo}/`}`;
}

/** Mirrors of older inputs; safe to delete only while no lab serves them. */
export function staleMirrors(): string[] {
  if (!existsSync(cacheDir)) return [];
  const current = `mirror-${mirrorRecipeHash()}`;
  return readdirSync(cacheDir)
    .filter((n) => n.startsWith('mirror-') && n !== current)
    .map((n) => join(cacheDir, n));
}
