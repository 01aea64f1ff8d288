// apt's Packages index (deb822 stanzas) as data, and the relation fields in it. Parsing only:
// where the text comes from is download.ts's business.

export interface IndexPackage {
  name: string;
  version: string;
  architecture: string;
  /** Relative to the source's URI (also in flat repositories). */
  filename: string;
  size: number;
  sha256: string;
  depends: Alternative[][];
  provides: { name: string; version?: string }[];
  /** `Essential: yes` or `Priority: required`: on every Debian host already. */
  base: boolean;
  /** The stanza as published, for the bundle's own index. */
  stanza: string;
  /** The index it came from (for messages). */
  source: string;
}

export interface Alternative {
  name: string;
  relation?: string;
  version?: string;
}

/** Stanzas of a deb822 file as field maps (names as written; continuation lines kept). */
export function parseStanzas(text: string): { fields: Map<string, string>; raw: string }[] {
  const out: { fields: Map<string, string>; raw: string }[] = [];
  for (const raw of text.replace(/\r\n/g, '\n').split(/\n\s*\n/)) {
    if (raw.trim() === '') continue;
    const fields = new Map<string, string>();
    let last: string | undefined;
    for (const line of raw.split('\n')) {
      if (line.startsWith('#')) continue;
      if (/^\s/.test(line) && last !== undefined) {
        fields.set(last, `${fields.get(last)}\n${line.trim()}`);
        continue;
      }
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      last = line.slice(0, colon);
      fields.set(last, line.slice(colon + 1).trim());
    }
    out.push({ fields, raw: raw.trim() });
  }
  return out;
}

const ALTERNATIVE = /^([a-z0-9][a-z0-9+.-]*)(?::[a-z0-9-]+)?\s*(?:\(\s*(<<|<=|>=|>>|=|<|>)\s*([^)\s]+)\s*\))?\s*(?:\[[^\]]*\])?\s*(?:<[^>]*>\s*)*$/;

/** `a (>= 1) | b, c` as groups of alternatives; an entry limited to other architectures is dropped. */
export function parseRelations(field: string | undefined, arch: string): Alternative[][] {
  if (field === undefined || field.trim() === '') return [];
  const groups: Alternative[][] = [];
  for (const group of field.split(',')) {
    const alts: Alternative[] = [];
    for (const part of group.split('|')) {
      const text = part.trim().replace(/\s+/g, ' ');
      if (text === '') continue;
      const archs = /\[([^\]]*)\]/.exec(text)?.[1]?.trim().split(/\s+/);
      if (archs !== undefined && !archApplies(archs, arch)) continue;
      const m = ALTERNATIVE.exec(text);
      if (m === null) throw new Error(`cannot read the relation "${text}"`);
      alts.push({ name: m[1]!, ...(m[2] !== undefined ? { relation: m[2], version: m[3]! } : {}) });
    }
    if (alts.length > 0) groups.push(alts);
  }
  return groups;
}

/** Virtual package names a package provides, with the version when it says `(= v)`. */
function parseProvides(field: string | undefined, arch: string): { name: string; version?: string }[] {
  return parseRelations(field, arch).map((g) => ({ name: g[0]!.name, ...(g[0]!.relation === '=' ? { version: g[0]!.version! } : {}) }));
}

function archApplies(list: string[], arch: string): boolean {
  const negated = list.every((a) => a.startsWith('!'));
  return negated ? !list.includes(`!${arch}`) : list.includes(arch) || list.includes('any');
}

/** The installed packages of a dpkg status file (/var/lib/dpkg/status of a freshly installed host). */
export function parseDpkgStatus(text: string, arch: string): { name: string; version: string; provides: { name: string; version?: string }[] }[] {
  return parseStanzas(text)
    .filter(({ fields }) => /\binstalled$/.test(fields.get('Status') ?? '') && fields.has('Package') && fields.has('Version'))
    .map(({ fields }) => ({
      name: fields.get('Package')!,
      version: fields.get('Version')!,
      provides: parseProvides(fields.get('Provides'), arch),
    }));
}

/** The packages of one Packages index for `arch` (and `all`); stanzas lacking what a download needs are skipped. */
export function parsePackagesIndex(text: string, arch: string, source: string): IndexPackage[] {
  const out: IndexPackage[] = [];
  for (const { fields, raw } of parseStanzas(text)) {
    const name = fields.get('Package');
    const version = fields.get('Version');
    const architecture = fields.get('Architecture') ?? '';
    const filename = fields.get('Filename');
    const sha256 = fields.get('SHA256');
    if (name === undefined || version === undefined || filename === undefined || sha256 === undefined) continue;
    if (architecture !== arch && architecture !== 'all') continue;
    const depends = [...parseRelations(fields.get('Pre-Depends'), arch), ...parseRelations(fields.get('Depends'), arch)];
    const provides = parseProvides(fields.get('Provides'), arch);
    out.push({
      name,
      version,
      architecture,
      filename,
      size: Number(fields.get('Size') ?? '0'),
      sha256: sha256.toLowerCase(),
      depends,
      provides,
      base: fields.get('Essential') === 'yes' || fields.get('Priority') === 'required',
      stanza: raw,
      source,
    });
  }
  return out;
}
