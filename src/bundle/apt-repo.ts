// The bundle's own flat apt repository: the chosen packages' stanzas as published (their sizes
// and hashes are those of the very files in the bundle), with Filename pointing beside the index.

import { gzipSync } from 'node:zlib';
import type { IndexPackage } from './apt-index.js';
import { sha256 } from '../resources/diff.js';

/** The .deb's name in the bundle: package, version without epoch (no `:` in file: URIs), arch. */
export function debFileName(p: Pick<IndexPackage, 'name' | 'version' | 'architecture'>): string {
  return `${p.name}_${p.version.replace(/^\d+:/, '')}_${p.architecture}.deb`;
}

export function renderPackagesIndex(packages: readonly IndexPackage[]): string {
  return packages.map((p) => `${p.stanza.replace(/^Filename:.*$/m, `Filename: ./${debFileName(p)}`)}\n`).join('\n');
}

/** Packages, Packages.gz and Release; `date` makes the Release of an unchanged bundle the same bytes again. */
export function renderRepository(packages: readonly IndexPackage[], arch: string, date: Date): Map<string, Buffer> {
  const index = Buffer.from(renderPackagesIndex(packages));
  // gzip's header carries no time here (zlib writes 0), so the same index gives the same bytes.
  const gz = gzipSync(index, { level: 9 });
  const release = [
    'Origin: hactl',
    'Label: hactl bundle',
    `Date: ${date.toUTCString()}`,
    `Architectures: ${arch} all`,
    'SHA256:',
    ...(
      [
        ['Packages', index],
        ['Packages.gz', gz],
      ] as const
    ).map(([name, b]) => ` ${sha256(b)} ${b.length} ${name}`),
    '',
  ].join('\n');
  return new Map([
    ['Packages', index],
    ['Packages.gz', gz],
    ['Release', Buffer.from(release)],
  ]);
}
