// Which .debs a bundle must carry: the packages the spec installs, at the versions the resource
// kinds ask for, and everything they depend on (Pre-Depends and Depends; of alternatives the first
// that can be satisfied; virtual packages through Provides), resolved against the sources'
// indices. What every Debian host already has (Essential: yes, Priority: required) is left out,
// and so is what the hosts' base image is known to have installed (its dpkg status file, when
// given) at a version that satisfies the dependency.
// Pure: Packages text in (parsed by apt-index.ts), package set out.

import { versionMatches } from '../resources/desired.js';
import type { Alternative, IndexPackage } from './apt-index.js';
import { compareDebianVersions, satisfies } from './debian-version.js';

export interface WantedPackage {
  name: string;
  /** A DesiredPackage version: exact or a glob (`1.30.4-*`); undefined for the newest. */
  version?: string;
  /** Who wants it (a resource id), for messages. */
  wantedBy: string;
}

/** A package installed on the target hosts before hactl (from their dpkg status). */
export interface InstalledPackage {
  name: string;
  version: string;
  provides: { name: string; version?: string }[];
}

export interface Resolution {
  packages: IndexPackage[];
  /** Names left out because every host has them (Essential, Priority: required, or installed in the base image). */
  base: string[];
  errors: string[];
}

const newestFirst = (a: IndexPackage, b: IndexPackage): number => compareDebianVersions(b.version, a.version);

function fits(p: IndexPackage, alt: Alternative): boolean {
  return alt.relation === undefined || satisfies(p.version, alt.relation, alt.version!);
}

function provides(p: IndexPackage, alt: Alternative): boolean {
  return p.provides.some(
    (v) => v.name === alt.name && (alt.relation === undefined || (v.version !== undefined && satisfies(v.version, alt.relation, alt.version!))),
  );
}

export function resolvePackages(index: readonly IndexPackage[], wanted: readonly WantedPackage[], installed: readonly InstalledPackage[] = []): Resolution {
  const byName = new Map<string, IndexPackage[]>();
  for (const p of index) {
    const list = byName.get(p.name);
    if (list === undefined) byName.set(p.name, [p]);
    else list.push(p);
  }
  for (const list of byName.values()) list.sort(newestFirst);
  const chosen = new Map<string, IndexPackage>();
  const base = new Set<string>();
  const errors: string[] = [];
  const queue: IndexPackage[] = [];

  const choose = (p: IndexPackage): void => {
    if (chosen.has(p.name)) return;
    chosen.set(p.name, p);
    queue.push(p);
  };
  const isBase = (name: string): boolean => (byName.get(name) ?? []).some((p) => p.base);
  const onHosts = (alt: Alternative): boolean =>
    installed.some(
      (p) =>
        (p.name === alt.name && (alt.relation === undefined || satisfies(p.version, alt.relation, alt.version!))) ||
        p.provides.some(
          (v) => v.name === alt.name && (alt.relation === undefined || (v.version !== undefined && satisfies(v.version, alt.relation, alt.version!))),
        ),
    );
  const offered = (name: string): string => {
    const versions = (byName.get(name) ?? []).map((p) => p.version);
    return versions.length > 0 ? ` (offered: ${[...new Set(versions)].join(', ')})` : '';
  };

  // The kinds' own packages, at their versions (several resources may want the same one).
  const seen = new Set<string>();
  for (const w of wanted) {
    const key = `${w.name}=${w.version ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (isBase(w.name) || (w.version === undefined && onHosts({ name: w.name }))) {
      base.add(w.name);
      continue;
    }
    const match = (byName.get(w.name) ?? []).find((p) => w.version === undefined || versionMatches(p.version, w.version));
    if (match === undefined) {
      errors.push(`${w.name}${w.version !== undefined ? ` ${w.version}` : ''} (wanted by ${w.wantedBy}) is not in any source${offered(w.name)}`);
      continue;
    }
    const already = chosen.get(w.name);
    if (already !== undefined && already !== match) {
      errors.push(`${w.name} is wanted at ${w.version ?? 'any version'} (by ${w.wantedBy}) but ${already.version} was already chosen`);
      continue;
    }
    choose(match);
  }

  const satisfiedNow = (alt: Alternative): boolean => {
    const have = chosen.get(alt.name);
    if (have !== undefined && fits(have, alt)) return true;
    if (isBase(alt.name) || onHosts(alt)) {
      base.add(alt.name);
      return true;
    }
    return [...chosen.values()].some((p) => provides(p, alt));
  };

  for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
    for (const group of p.depends) {
      if (group.some(satisfiedNow)) continue;
      let pick: IndexPackage | undefined;
      for (const alt of group) {
        if (chosen.has(alt.name)) continue; // chosen at another version that does not fit
        pick = (byName.get(alt.name) ?? []).find((c) => fits(c, alt)) ?? index.filter((c) => provides(c, alt)).sort(newestFirst)[0];
        if (pick !== undefined) break;
      }
      if (pick === undefined) {
        const what = group.map((a) => `${a.name}${a.relation !== undefined ? ` (${a.relation} ${a.version})` : ''}`).join(' | ');
        const clash = group.map((a) => chosen.get(a.name)).find((c) => c !== undefined);
        errors.push(
          `${what}, needed by ${p.name} ${p.version}, ${clash !== undefined ? `clashes with ${clash.name} ${clash.version}, chosen for another package` : `is not in any source${offered(group[0]!.name)}`}`,
        );
        continue;
      }
      choose(pick);
    }
  }
  return { packages: [...chosen.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)), base: [...base].sort(), errors };
}
