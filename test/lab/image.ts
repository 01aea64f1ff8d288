// The hosts' base root filesystem: Debian 12 minbase built by mmdebstrap once, cached by recipe.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './exec.js';
import { cacheDir, labSourceDir } from './paths.js';

export const SUITE = 'bookworm';
export const DEBIAN_SOURCES = [
  `deb http://deb.debian.org/debian ${SUITE} main`,
  `deb http://deb.debian.org/debian ${SUITE}-updates main`,
  `deb http://deb.debian.org/debian-security ${SUITE}-security main`,
];
/** What a bare host has: enough to boot systemd, log in over SSH and run apt. */
export const BASE_PACKAGES = [
  'systemd',
  'systemd-sysv',
  'dbus',
  'libpam-systemd',
  'openssh-server',
  'iproute2',
  'procps',
  'ca-certificates',
  'tini',
  'util-linux',
  'apt',
  // Like Debian's standard and cloud installs; Ansible (bench/) needs it on the managed hosts.
  'python3',
];
// Release files of the configured Debian mirror may be older than their Valid-Until.
export const APT_OPTIONS = ['Acquire::Check-Valid-Until "false"', 'Acquire::Languages "none"'];

const customizeScript = join(labSourceDir, 'base-customize.sh');

export function baseRecipeHash(): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ SUITE, DEBIAN_SOURCES, BASE_PACKAGES, APT_OPTIONS }));
  h.update(readFileSync(customizeScript));
  return h.digest('hex').slice(0, 16);
}

/** Returns the path of the base root filesystem, building it when its recipe changed. */
export async function ensureBaseImage(log: (msg: string) => void = () => undefined): Promise<string> {
  const hash = baseRecipeHash();
  const dir = join(cacheDir, `base-${hash}`);
  if (existsSync(join(dir, '.complete'))) return dir;
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${dir}.building-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  log(`building base image ${hash} with mmdebstrap (about 30-60 s)`);
  const started = Date.now();
  try {
    await run('mmdebstrap', [
      '--quiet',
      '--mode=root',
      '--variant=minbase',
      '--format=directory',
      `--include=${BASE_PACKAGES.join(',')}`,
      ...APT_OPTIONS.map((o) => `--aptopt=${o}`),
      `--customize-hook=bash ${customizeScript} "$1"`,
      SUITE,
      tmp,
      ...DEBIAN_SOURCES,
    ]);
    writeFileSync(join(tmp, '.complete'), `${hash}\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  log(`base image built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return dir;
}

/** Base images of older recipes; safe to delete only while no host uses them. */
export function staleBaseImages(): string[] {
  if (!existsSync(cacheDir)) return [];
  const current = `base-${baseRecipeHash()}`;
  return readdirSync(cacheDir)
    .filter((n) => n.startsWith('base-') && n !== current)
    .map((n) => join(cacheDir, n));
}
