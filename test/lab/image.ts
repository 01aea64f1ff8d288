// The hosts' base root filesystem: a Debian minbase (13 by default, or 12) built by mmdebstrap
// once per OS, cached by recipe.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './exec.js';
import { cacheDir, labSourceDir } from './paths.js';

/** The operating systems the lab's hosts can run. */
export const LAB_OSES = {
  'debian-13': { suite: 'trixie', version: '13' },
  'debian-12': { suite: 'bookworm', version: '12' },
} as const;
export type LabOs = keyof typeof LAB_OSES;
export const DEFAULT_LAB_OS: LabOs = 'debian-13';

export function isLabOs(name: string): name is LabOs {
  return Object.hasOwn(LAB_OSES, name);
}

export function parseLabOs(name: string | undefined): LabOs {
  if (name === undefined) return DEFAULT_LAB_OS;
  if (!isLabOs(name)) throw new Error(`unknown lab OS ${JSON.stringify(name)}: ${Object.keys(LAB_OSES).join(' or ')}`);
  return name;
}

export function debianSources(os: LabOs): string[] {
  const suite = LAB_OSES[os].suite;
  return [
    `deb http://deb.debian.org/debian ${suite} main`,
    `deb http://deb.debian.org/debian ${suite}-updates main`,
    `deb http://deb.debian.org/debian-security ${suite}-security main`,
  ];
}
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

export function baseRecipeHash(os: LabOs): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ os, sources: debianSources(os), BASE_PACKAGES, APT_OPTIONS }));
  h.update(readFileSync(customizeScript));
  return h.digest('hex').slice(0, 16);
}

/** Returns the path of the base root filesystem, building it when its recipe changed. */
export async function ensureBaseImage(os: LabOs, log: (msg: string) => void = () => undefined): Promise<string> {
  const hash = baseRecipeHash(os);
  const dir = join(cacheDir, `base-${hash}`);
  if (existsSync(join(dir, '.complete'))) return dir;
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${dir}.building-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  log(`building ${os} base image ${hash} with mmdebstrap (about 30-60 s)`);
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
      LAB_OSES[os].suite,
      tmp,
      ...debianSources(os),
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

/** Base images of older recipes (the current one of each OS stays); safe to delete only while no host uses them. */
export function staleBaseImages(): string[] {
  if (!existsSync(cacheDir)) return [];
  const current = new Set(Object.keys(LAB_OSES).map((os) => `base-${baseRecipeHash(os as LabOs)}`));
  return readdirSync(cacheDir)
    .filter((n) => n.startsWith('base-') && !n.includes('.building-') && !current.has(n))
    .map((n) => join(cacheDir, n));
}
