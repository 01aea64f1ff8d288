// Debian's real kubectl in the lab mirror: Debian packages only the Kubernetes client, so the
// mirror takes Debian's `kubectl` from the lab OS's suite and from Debian's next suite and, for
// each supported minor within kubectl's version skew (±1 minor) of one of them, publishes that
// binary under the pkgs.k8s.io-style version of the `kubectl` package (`1.37.2-1.1`), replacing
// the stand-in. Minors outside every real client's skew keep the stand-in kubectl.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './exec.js';
import { cacheDir } from './paths.js';

/** A real kubectl found in a Debian suite. */
export interface DebianKubectl {
  suite: string;
  /** Debian's package version, e.g. `1.36.4+ds-1`. */
  debianVersion: string;
  /** The upstream minor it is built from, e.g. `1.36`. */
  minor: string;
  deb: string;
}

/** Downloaded Debian packages are kept here, by file name, across mirror rebuilds. */
export const debianDebCache = join(cacheDir, 'debian-debs');

export function minorOfDebianVersion(version: string): string | undefined {
  return /^(?:\d+:)?(\d+\.\d+)\./.exec(version)?.[1];
}

function minorDistance(a: string, b: string): number {
  const [am, an] = a.split('.').map(Number);
  const [bm, bn] = b.split('.').map(Number);
  return am === bm ? Math.abs((an ?? 0) - (bn ?? 0)) : Infinity;
}

/**
 * For each stand-in version (`1.37.2`), the real client to publish under it: the one whose minor
 * is nearest, if within ±1 minor (kubectl's supported skew against the apiserver), else none.
 */
export function realClientFor<T extends { minor: string }>(version: string, clients: T[]): T | undefined {
  const minor = minorOfDebianVersion(version) ?? version;
  let best: T | undefined;
  for (const c of clients) {
    const d = minorDistance(c.minor, minor);
    if (d <= 1 && (best === undefined || d < minorDistance(best.minor, minor))) best = c;
  }
  return best;
}

/** Debian's kubectl of each suite (those that have one), downloaded once into the cache. */
export async function fetchDebianKubectl(env: NodeJS.ProcessEnv, suites: string[]): Promise<DebianKubectl[]> {
  mkdirSync(debianDebCache, { recursive: true });
  const found: DebianKubectl[] = [];
  for (const suite of suites) {
    const show = await run('apt-cache', ['show', `kubectl/${suite}`], { env, allowFailure: true });
    const debianVersion = /^Version: (\S+)$/m.exec(show.stdout)?.[1];
    const minor = debianVersion && minorOfDebianVersion(debianVersion);
    if (show.code !== 0 || !debianVersion || !minor) continue;
    const file = `kubectl_${debianVersion.replace(/^\d+:/, '')}_amd64.deb`;
    const deb = join(debianDebCache, file);
    if (!existsSync(deb)) {
      const tmp = join(debianDebCache, `.download-${process.pid}`);
      rmSync(tmp, { recursive: true, force: true });
      mkdirSync(tmp);
      await run('apt-get', ['-q', 'download', `kubectl/${suite}`], { env, cwd: tmp });
      const got = readdirSync(tmp).find((n) => n.endsWith('.deb'));
      if (!got) throw new Error(`apt-get download kubectl/${suite} left no .deb`);
      renameSync(join(tmp, got), deb);
      rmSync(tmp, { recursive: true, force: true });
    }
    found.push({ suite, debianVersion, minor, deb });
  }
  return found;
}

/**
 * Debian's kubectl repackaged as `kubectl` `version` (a pkgs.k8s.io-style `1.37.2-1.1`): the same
 * files and dependencies, the package version of the stand-in it replaces. Kept in the cache by
 * its inputs, so a rebuilt mirror does not repack 80 MB again.
 */
export async function repackageKubectl(client: DebianKubectl, version: string, outDir: string): Promise<string> {
  const h = createHash('sha256')
    .update(readFileSync(client.deb))
    .update(version)
    .update(readFileSync(new URL(import.meta.url)));
  const cached = join(debianDebCache, `repacked-${h.digest('hex').slice(0, 16)}`, `kubectl_${version}_amd64.deb`);
  if (!existsSync(cached)) {
    const work = join(debianDebCache, `.repack-${process.pid}`);
    rmSync(work, { recursive: true, force: true });
    mkdirSync(join(work, 'root', 'DEBIAN'), { recursive: true });
    try {
      await run('dpkg-deb', ['-x', client.deb, join(work, 'root')]);
      const depends = (await run('dpkg-deb', ['-f', client.deb, 'Depends'])).stdout.trim();
      const size = (await run('du', ['-sk', '--exclude=DEBIAN', join(work, 'root')])).stdout.split('\t')[0];
      const control = [
        'Package: kubectl',
        `Version: ${version}`,
        'Architecture: amd64',
        'Maintainer: hactl lab <lab@hactl.invalid>',
        `Installed-Size: ${size}`,
        ...(depends ? [`Depends: ${depends}`] : []),
        'Section: admin',
        'Priority: optional',
        'Homepage: https://kubernetes.io',
        'Description: Command-line utility for interacting with a Kubernetes cluster',
        ` Debian's kubectl ${client.debianVersion} (${client.suite}), repackaged by hactl's lab under`,
        ' the version of the Kubernetes minor it serves; see docs/lab-standins.md.',
        '',
      ].join('\n');
      await run('sh', ['-c', 'cat > "$1"', 'sh', join(work, 'root', 'DEBIAN', 'control')], { input: control });
      mkdirSync(join(cached, '..'), { recursive: true });
      // gzip -1: hosts fetch it over the bridge; xz would cost seconds per 80 MB on every rebuild.
      await run('dpkg-deb', ['--root-owner-group', '-Zgzip', '-z1', '-b', join(work, 'root'), `${cached}.tmp`]);
      renameSync(`${cached}.tmp`, cached);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  const out = join(outDir, `kubectl_${version}_amd64.deb`);
  rmSync(out, { force: true });
  copyFileSync(cached, out);
  return out;
}
