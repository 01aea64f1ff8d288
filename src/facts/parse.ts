// Probe output in, HostFacts out. Pure: tested with captured outputs (test/fixtures/facts).
import { createHash } from 'node:crypto';
import { ARCHIVE, ARCHIVE_END, DONE, MAX_CONTENT_BYTES, MISSING, SECTION } from './probe.js';
import { unitName } from './request.js';
import type {
  CertificateFacts,
  CgroupMode,
  DiskFacts,
  FactRequest,
  FileFacts,
  HostFacts,
  InterfaceFacts,
  ListeningPort,
  ModuleState,
  OsFamily,
  OsInfo,
  PackageFacts,
  TimeSyncFacts,
  UnitFacts,
} from './types.js';

export class ProbeParseError extends Error {}

/** Split probe output into sections; lines starting with `@@hactl:missing` are collected apart. */
export function splitSections(output: string): { sections: Map<string, string[]>; missing: string[]; complete: boolean } {
  const sections = new Map<string, string[]>();
  const missing: string[] = [];
  let complete = false;
  let current: string[] | undefined;
  for (const line of output.split('\n')) {
    if (line.startsWith(SECTION)) {
      current = [];
      sections.set(line.slice(SECTION.length).trim(), current);
    } else if (line.startsWith(MISSING)) {
      missing.push(line.slice(MISSING.length).trim());
    } else if (line === DONE) {
      complete = true;
      current = undefined;
    } else if (current) {
      current.push(line);
    }
  }
  // The script prints an empty line before each marker; drop trailing empties.
  for (const lines of sections.values()) while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return { sections, missing, complete };
}

function unquote(v: string): string {
  const m = /^"(.*)"$/.exec(v) ?? /^'(.*)'$/.exec(v);
  return m ? m[1]!.replace(/\\(["\\$`])/g, '$1') : v;
}

export function parseOsRelease(lines: string[]): OsInfo {
  const kv: Record<string, string> = {};
  for (const l of lines) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(l.trim());
    if (m) kv[m[1]!] = unquote(m[2]!);
  }
  const id = kv.ID ?? 'unknown';
  const like = (kv.ID_LIKE ?? '').split(/\s+/).filter(Boolean);
  const all = [id, ...like];
  let family: OsFamily = 'unknown';
  if (all.some((x) => x === 'debian' || x === 'ubuntu')) family = 'debian';
  else if (all.some((x) => x === 'rhel' || x === 'fedora' || x === 'centos')) family = 'rhel';
  return { id, versionId: kv.VERSION_ID ?? '', prettyName: kv.PRETTY_NAME ?? kv.NAME ?? id, family, like };
}

/** Count CPUs in a sysfs list such as `0-3,8,10-11`. */
export function countCpuList(list: string): number {
  let n = 0;
  for (const part of list.trim().split(',')) {
    if (part === '') continue;
    const [a, b] = part.split('-').map((x) => Number.parseInt(x, 10));
    if (a === undefined || Number.isNaN(a)) continue;
    n += b === undefined || Number.isNaN(b) ? 1 : b - a + 1;
  }
  return n;
}

function kvLines(lines: string[]): Record<string, string> {
  const kv: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf('=');
    if (i > 0) kv[l.slice(0, i)] = l.slice(i + 1);
  }
  return kv;
}

function parseMeminfo(lines: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of lines) {
    const m = /^(\w+):\s+(\d+)\s*(kB)?/.exec(l);
    if (m) out[m[1]!] = Number(m[2]) * (m[3] ? 1024 : 1);
  }
  return out;
}

export function parseSwaps(lines: string[]): { activeBytes: number; devices: string[] } {
  let activeBytes = 0;
  const devices: string[] = [];
  for (const l of lines.slice(1)) {
    const f = l.trim().split(/\s+/);
    if (f.length < 3 || !f[0]) continue;
    devices.push(f[0]);
    activeBytes += Number(f[2]) * 1024; // /proc/swaps sizes are KiB
  }
  return { activeBytes, devices };
}

export function parseFstabSwap(lines: string[]): string[] {
  return lines
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .filter((l) => l.split(/\s+/)[2] === 'swap');
}

export function parseDf(lines: string[], paths: string[]): DiskFacts[] {
  const rows = lines.filter((l) => !/^Filesystem\s/.test(l) && l.trim() !== '');
  const out: DiskFacts[] = [];
  rows.forEach((row, i) => {
    const m = /^(.*?)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+%|-)\s+(\/.*)$/.exec(row);
    if (!m) return;
    out.push({
      path: paths[i] ?? m[6]!,
      mountedOn: m[6]!,
      filesystem: m[1]!,
      sizeBytes: Number(m[2]) * 1024,
      freeBytes: Number(m[4]) * 1024,
    });
  });
  return out;
}

interface IpAddrJson {
  ifname?: string;
  flags?: string[];
  operstate?: string;
  mtu?: number;
  address?: string;
  link_type?: string;
  addr_info?: Array<{ family?: string; local?: string; prefixlen?: number }>;
}

export function parseIpJson(lines: string[]): InterfaceFacts[] {
  const text = lines.join('\n').trim();
  if (text === '') return [];
  let data: IpAddrJson[];
  try {
    data = JSON.parse(text) as IpAddrJson[];
  } catch {
    throw new ProbeParseError('ip -j addr: output is not JSON');
  }
  return data
    .filter((i) => i.ifname)
    .map((i) => {
      const iface: InterfaceFacts = {
        name: i.ifname!,
        addresses: (i.addr_info ?? []).filter((a) => a.local).map((a) => `${a.local}/${a.prefixlen ?? (a.family === 'inet6' ? 128 : 32)}`),
        // Administratively up and not reported down (loopback and veths report UNKNOWN).
        up: (i.flags ?? []).includes('UP') && i.operstate !== 'DOWN' && i.operstate !== 'LOWERLAYERDOWN',
      };
      if (i.address && i.link_type !== 'loopback') iface.mac = i.address;
      if (i.mtu !== undefined) iface.mtu = i.mtu;
      return iface;
    });
}

function parseNetdev(lines: string[]): InterfaceFacts[] {
  return lines
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[0])
    .map((f) => ({ name: f[0]!, addresses: [], up: f[1] === 'up' || f[1] === 'unknown' }));
}

export function parseSysctls(lines: string[], keys: string[]): Record<string, string | null> {
  const byPath = new Map(keys.map((k) => [`/proc/sys/${k.replace(/\./g, '/')}`, k]));
  const out: Record<string, string | null> = {};
  for (const k of keys) out[k] = null;
  for (const l of lines) {
    if (l.startsWith('absent ')) continue;
    const i = l.indexOf(':');
    if (i < 0) continue;
    const key = byPath.get(l.slice(0, i));
    if (key === undefined) continue;
    const v = l
      .slice(i + 1)
      .trim()
      .replace(/\s+/g, ' ');
    out[key] = out[key] === null ? v : `${out[key]} ${v}`;
  }
  return out;
}

export function parseModules(lines: string[], modules: string[]): Record<string, ModuleState> {
  const norm = (m: string) => m.replace(/-/g, '_');
  const out: Record<string, ModuleState> = {};
  for (const m of modules) out[m] = 'absent';
  for (const l of lines) {
    const [what, name] = l.trim().split(/\s+/);
    if (!what || !name) continue;
    const m = modules.find((x) => norm(x) === norm(name));
    if (!m) continue;
    if (what === 'loaded') out[m] = 'loaded';
    else if ((what === 'builtin' || what === 'function') && out[m] !== 'loaded') out[m] = 'builtin';
  }
  return out;
}

/** dnf versionlock entries look like `kubelet-0:1.29.0-150500.1.1.*`; `!` lines exclude. */
function versionLocked(lines: string[], pkg: string): boolean {
  const re = new RegExp(`^${pkg.replace(/[.+]/g, '\\$&')}-(\\d+:)?\\d`);
  return lines.some((l) => !l.startsWith('#') && !l.startsWith('!') && re.test(l.trim()));
}

export function parsePackages(
  lines: string[],
  versionlock: string[] | undefined,
  packages: string[],
): { manager: HostFacts['packageManager']; packages: Record<string, PackageFacts> } {
  let manager: HostFacts['packageManager'] = 'none';
  const out: Record<string, PackageFacts> = {};
  for (const p of packages) out[p] = { installed: false };
  for (const l of lines) {
    const mm = /^manager (dpkg|rpm|none)$/.exec(l);
    if (mm) {
      manager = mm[1] as HostFacts['packageManager'];
      continue;
    }
    const [name, version, arch, status] = l.split('\t');
    if (!name || !(name in out)) continue;
    if (manager === 'dpkg') {
      // db:Status-Abbrev: want (h = hold), state (i installed; W, t: installed, triggers pending).
      const st = status ?? '';
      if (!/^.[iWt]/.test(st) || !version) continue;
      out[name] = { installed: true, version, held: st[0] === 'h', arch: arch || undefined };
    } else if (manager === 'rpm') {
      if (!version) continue;
      const v = version.startsWith('0:') ? version.slice(2) : version;
      out[name] = { installed: true, version: v, held: versionlock ? versionLocked(versionlock, name) : false, arch: arch || undefined };
    }
  }
  for (const v of Object.values(out)) if (v.installed && v.arch === undefined) delete (v as { arch?: string }).arch;
  return { manager, packages: out };
}

export function parseUnits(lines: string[], units: string[]): { init: HostFacts['init']; units: Record<string, UnitFacts> } {
  const out: Record<string, UnitFacts> = {};
  for (const u of units) out[u] = { exists: false, active: false, enabled: false };
  const init: HostFacts['init'] = lines[0] === 'init systemd' ? 'systemd' : 'other';
  const body = lines.slice(1);
  if (init === 'systemd') {
    // systemctl show prints one block per unit, in argument order, separated by empty lines.
    const blocks: Record<string, string>[] = [];
    let cur: Record<string, string> | undefined;
    for (const l of body) {
      if (l.trim() === '') {
        cur = undefined;
        continue;
      }
      const i = l.indexOf('=');
      if (i < 0) continue;
      if (!cur) {
        cur = {};
        blocks.push(cur);
      }
      cur[l.slice(0, i)] = l.slice(i + 1);
    }
    units.forEach((u, i) => {
      const b = blocks[i];
      if (!b) return;
      const exists = b.LoadState !== undefined && b.LoadState !== 'not-found';
      out[u] = {
        exists,
        active: b.ActiveState === 'active' || b.ActiveState === 'reloading',
        enabled: exists && /^(enabled|enabled-runtime|linked|linked-runtime|alias)$/.test(b.UnitFileState ?? ''),
        activeState: b.ActiveState,
        unitFileState: b.UnitFileState,
      };
    });
  } else {
    const byName = new Map(units.map((u) => [unitName(u), u]));
    for (const l of body) {
      const [what, name] = l.split(' ');
      const u = name ? byName.get(name) : undefined;
      if (!u) continue;
      if (what === 'file') out[u]!.exists = true;
      if (what === 'wanted') out[u]!.enabled = true;
    }
  }
  return { init, units: out };
}

function fileType(rawModeHex: string): FileFacts['type'] {
  const t = Number.parseInt(rawModeHex, 16) & 0o170000;
  if (t === 0o100000) return 'file';
  if (t === 0o040000) return 'directory';
  if (t === 0o120000) return 'symlink';
  return 'other';
}

/** One member of a tar archive: its header's fields and the bytes read. */
export interface TarMember {
  name: string;
  /** The typeflag: `0` a regular file, `2` a symlink, `5` a directory, ... */
  type: string;
  /** Permission bits (07777). */
  mode: number;
  uid: number;
  gid: number;
  /** Owner and group names as tar found them; empty when the ids have none. */
  uname: string;
  gname: string;
  /** A link's target (symlinks and hard links). */
  linkName: string;
  data: Buffer;
}

/**
 * The members of a tar archive as GNU tar writes it (`--format=gnu`): 512-byte headers, octal
 * numbers (base-256 when too large), `L` and `K` records carrying the next member's long name and
 * link name. Throws on a truncated archive, including one cut between members (no end blocks).
 */
export function readTar(buf: Buffer): TarMember[] {
  const out: TarMember[] = [];
  const field = (h: Buffer, at: number, len: number) => {
    const b = h.subarray(at, at + len);
    const nul = b.indexOf(0);
    return (nul === -1 ? b : b.subarray(0, nul)).toString('utf8');
  };
  const num = (h: Buffer, at: number, len: number) => {
    if ((h[at]! & 0x80) === 0) return Number.parseInt(field(h, at, len).trim() || '0', 8);
    let n = h[at]! & 0x7f;
    for (let i = 1; i < len; i++) n = n * 256 + h[at + i]!;
    return n;
  };
  const truncated = () => new ProbeParseError("the files section's archive is truncated");
  let longName: string | undefined;
  let longLink: string | undefined;
  for (let at = 0; ;) {
    if (at + 512 > buf.length) throw truncated();
    const h = buf.subarray(at, at + 512);
    if (h.every((x) => x === 0)) break; // end of archive
    const size = num(h, 124, 12);
    const type = field(h, 156, 1) || '0';
    const start = at + 512;
    if (!Number.isFinite(size) || start + size > buf.length) throw truncated();
    const data = buf.subarray(start, start + size);
    at = start + Math.ceil(size / 512) * 512;
    if (type === 'L') {
      const nul = data.indexOf(0);
      longName = (nul === -1 ? data : data.subarray(0, nul)).toString('utf8');
      continue;
    }
    if (type === 'K') {
      const nul = data.indexOf(0);
      longLink = (nul === -1 ? data : data.subarray(0, nul)).toString('utf8');
      continue;
    }
    const linkName = longLink ?? field(h, 157, 100);
    out.push({
      name: longName ?? field(h, 0, 100),
      type,
      mode: num(h, 100, 8) & 0o7777,
      uid: num(h, 108, 8),
      gid: num(h, 116, 8),
      uname: field(h, 265, 32),
      gname: field(h, 297, 32),
      linkName,
      data,
    });
    longName = undefined;
    longLink = undefined;
  }
  return out;
}

/**
 * The probe's output split into its text and the files' raw tar archive, which lies between the
 * ARCHIVE line and the ARCHIVE_END line (tar's exit status) that only the DONE line follows.
 */
export function splitArchive(output: Buffer): { text: string; archive?: Buffer; tarStatus?: number } {
  const mark = `\n${ARCHIVE}\n`;
  const at = output.indexOf(mark);
  if (at === -1) return { text: output.toString('utf8') };
  const tail = new RegExp(`\n${ARCHIVE_END} (\\d+)\n${DONE}\n$`).exec(output.subarray(Math.max(0, output.length - 64)).toString('latin1'));
  // Without the end lines, the archive was cut short: the text has no DONE line, so it is incomplete.
  const text = output.subarray(0, at).toString('utf8');
  if (!tail) return { text };
  const end = output.length - Buffer.byteLength(tail[0], 'latin1');
  if (end < at + mark.length) return { text };
  return { text: `${text}\n${DONE}\n`, archive: output.subarray(at + mark.length, end), tarStatus: Number(tail[1]) };
}

const TAR_TYPES: Record<string, FileFacts['type']> = { '0': 'file', '7': 'file', '5': 'directory', '2': 'symlink' };

/** The files' archive and tar's exit status (non-zero: something changed or vanished while read). */
export interface FilesArchive {
  data: Buffer;
  tarStatus: number;
}

export function parseFiles(
  filesLines: string[],
  shaLines: string[],
  paths: string[],
  archive?: FilesArchive,
  lsattrLines: string[] = [],
  mountLines: string[] = [],
): Record<string, FileFacts> {
  const out = parseFileEntries(filesLines, shaLines, paths, archive);
  addFileAttributes(out, lsattrLines, mountLines);
  return out;
}

function parseFileEntries(filesLines: string[], shaLines: string[], paths: string[], archive?: FilesArchive): Record<string, FileFacts> {
  const out: Record<string, FileFacts> = {};
  for (const p of paths) out[p] = { exists: false };
  if (archive) {
    // Every path not reported absent exists, archived or not (tar skips sockets, and what it
    // cannot read): its details are then unknown.
    const absent = new Set(filesLines.filter((l) => l.startsWith('absent ')).map((l) => l.slice('absent '.length)));
    for (const p of paths) if (!absent.has(p)) out[p] = { exists: true };
    for (const m of readTar(archive.data)) {
      // tar names a directory with a trailing slash.
      const name = m.name in out ? m.name : m.name.replace(/\/+$/, '');
      if (!(name in out)) continue;
      const f: FileFacts = {
        exists: true,
        type: TAR_TYPES[m.type] ?? 'other',
        size: m.data.length,
        mode: m.mode,
        owner: m.uname || String(m.uid),
        group: m.gname || String(m.gid),
      };
      if (f.type === 'symlink' && m.linkName !== '') f.linkTarget = m.linkName;
      // After a non-zero status some file changed while tar read it: no bytes are trusted, and
      // the next observation sees them settled.
      if (f.type === 'file' && archive.tarStatus === 0) {
        if (m.data.length <= MAX_CONTENT_BYTES) f.content = m.data.toString('utf8');
        f.sha256 = createHash('sha256').update(m.data).digest('hex');
      }
      out[name] = f;
    }
    return out;
  }
  const contents = new Map<string, Buffer>();
  let contentFor: string | undefined;
  for (const l of filesLines) {
    if (contentFor !== undefined) {
      contents.set(contentFor, Buffer.from(l.trim(), 'base64'));
      contentFor = undefined;
      continue;
    }
    if (l.startsWith('@@hactl:content ')) {
      contentFor = l.slice('@@hactl:content '.length);
      continue;
    }
    if (l.startsWith('absent ')) continue;
    const m = /^(\d+) ([0-7]+) (\S+) (\S+) ([0-9a-f]+)\|(.*)$/.exec(l);
    if (!m || !(m[6]! in out)) continue;
    out[m[6]!] = {
      exists: true,
      type: fileType(m[5]!),
      size: Number(m[1]),
      mode: Number.parseInt(m[2]!, 8),
      owner: m[3]!,
      group: m[4]!,
    };
  }
  // A file's content as read, and its hash from those bytes; a size other than stat's means the
  // file changed in between: neither is kept (the next observation sees it settled).
  for (const [name, data] of contents) {
    const f = out[name];
    if (!f?.exists || f.size !== data.length) continue;
    f.content = data.toString('utf8');
    f.sha256 = createHash('sha256').update(data).digest('hex');
  }
  for (const l of shaLines) {
    // sha256sum escapes odd names with a leading backslash.
    const m = /^\\?([0-9a-f]{64})\s[ *](.*)$/.exec(l);
    if (m && out[m[2]!]?.exists) out[m[2]!]!.sha256 = m[1]!;
  }
  return out;
}

/**
 * What the files' attributes and mounts add: the immutable flag from `lsattr -d` lines
 * (`----i---------e------- /etc/hosts`), and the read-only mount each path lies on, from
 * /proc/self/mounts (the longest mount point that contains the path; names octal-escaped).
 */
export function addFileAttributes(files: Record<string, FileFacts>, lsattrLines: string[], mountLines: string[]): void {
  for (const l of lsattrLines) {
    const m = /^([A-Za-z-]+) (.+)$/.exec(l);
    const f = m ? files[m[2]!] : undefined;
    if (f?.exists && f.type !== 'symlink' && m![1]!.includes('i')) f.immutable = true;
  }
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
  const mounts = mountLines
    .map((l) => l.split(' '))
    .filter((p) => p.length >= 4)
    .map((p) => ({ at: unescape(p[1]!), ro: p[3]!.split(',').includes('ro') }));
  if (mounts.length === 0) return;
  for (const [path, f] of Object.entries(files)) {
    let best: { at: string; ro: boolean } | undefined;
    for (const m of mounts) {
      const inside = m.at === '/' || path === m.at || path.startsWith(`${m.at}/`);
      // Later lines are mounted over earlier ones at the same point.
      if (inside && (best === undefined || m.at.length >= best.at.length)) best = m;
    }
    if (best?.ro) f.readOnlyMount = best.at;
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** openssl's `notAfter=Nov 22 08:30:00 2027 GMT`, as an ISO timestamp. */
export function parseOpensslDate(s: string): string | undefined {
  const m = /^([A-Z][a-z]{2})\s+(\d{1,2})\s+(\d{2}):(\d{2}):(\d{2})\s+(\d{4})\s+GMT$/.exec(s.trim());
  if (!m) return undefined;
  const month = MONTHS.indexOf(m[1]!);
  if (month < 0) return undefined;
  return new Date(Date.UTC(Number(m[6]), month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]))).toISOString();
}

export function parseCerts(lines: string[], nowEpochSeconds: number, opensslMissing: boolean): CertificateFacts[] {
  const out: CertificateFacts[] = [];
  let cur: CertificateFacts | undefined;
  for (const l of lines) {
    if (l.startsWith('@@hactl:cert ')) {
      cur = { path: l.slice('@@hactl:cert '.length) };
      if (opensslMissing) cur.error = 'openssl not installed';
      out.push(cur);
      continue;
    }
    if (!cur) continue;
    if (l.startsWith('notAfter=')) {
      const iso = parseOpensslDate(l.slice('notAfter='.length));
      if (iso) {
        cur.notAfter = iso;
        cur.daysLeft = Math.floor((Date.parse(iso) / 1000 - nowEpochSeconds) / 86400);
      }
    } else if (l.startsWith('subject=')) {
      cur.subject = l
        .slice('subject='.length)
        .trim()
        .replace(/\s*=\s*/g, '=');
    } else if (l.trim() !== '' && !cur.notAfter) {
      cur.error = l.trim();
    }
  }
  return out;
}

export function parseTimeSync(lines: string[], processes: string[]): TimeSyncFacts {
  const procs = new Set(processes);
  const service = procs.has('chronyd') ? 'chronyd' : procs.has('systemd-timesyn') ? 'systemd-timesyncd' : procs.has('ntpd') ? 'ntpd' : 'none';
  const source = lines.find((l) => l.startsWith('source '))?.slice(7);
  if (source === 'timedatectl') {
    const kv = kvLines(lines);
    const r: TimeSyncFacts = { service, source: 'timedatectl' };
    if (kv.NTPSynchronized !== undefined) r.synchronized = kv.NTPSynchronized === 'yes';
    if (kv.NTP !== undefined) r.ntpEnabled = kv.NTP === 'yes';
    return r;
  }
  if (source === 'chronyc') {
    const leap = lines.find((l) => /^Leap status\s*:/.test(l));
    // No leap line ("506 Cannot talk to daemon"): nothing keeps the clock.
    return { service, source: 'chronyc', synchronized: leap !== undefined && /:\s*Normal\s*$/.test(leap) };
  }
  if (source === 'timesyncd-flag') {
    // systemd-timesyncd creates this file once it has synchronized the clock.
    return { service, source: 'timesyncd-flag', synchronized: lines.includes('timesyncd-synchronized') };
  }
  return { service, source: 'none' };
}

function splitHostPort(s: string): { address: string; port: number } | undefined {
  const i = s.lastIndexOf(':');
  if (i < 0) return undefined;
  let address = s.slice(0, i);
  const port = Number(s.slice(i + 1));
  if (!Number.isInteger(port)) return undefined;
  if (address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1);
  address = address.replace(/%.*$/, ''); // 127.0.0.53%lo
  if (address === '*') address = '0.0.0.0';
  return { address, port };
}

export function parseSs(lines: string[]): ListeningPort[] {
  const out: ListeningPort[] = [];
  for (const l of lines) {
    const f = l.trim().split(/\s+/);
    if (f.length < 6) continue;
    const proto = f[0];
    if (proto !== 'tcp' && proto !== 'udp') continue;
    if (proto === 'tcp' && f[1] !== 'LISTEN') continue;
    const hp = splitHostPort(f[4]!);
    if (!hp) continue;
    const p: ListeningPort = { proto, port: hp.port, address: hp.address };
    const users = /users:\(\("([^"]+)"/.exec(l);
    if (users) p.process = users[1]!;
    out.push(p);
  }
  return out;
}

function hexToIpv4(hex: string): string {
  const n = Number.parseInt(hex, 16);
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255].join('.');
}

function hexToIpv6(hex: string): string {
  // Four 32-bit words, each in host (little-endian) byte order.
  const bytes: number[] = [];
  for (let w = 0; w < 4; w++) {
    const word = hex.slice(w * 8, w * 8 + 8);
    for (let b = 3; b >= 0; b--) bytes.push(Number.parseInt(word.slice(b * 2, b * 2 + 2), 16));
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

/** /proc/net/{tcp,udp}[6], used when ss is missing. */
export function parseProcNet(lines: string[], proto: 'tcp' | 'udp', v6: boolean): ListeningPort[] {
  const out: ListeningPort[] = [];
  for (const l of lines.slice(1)) {
    const f = l.trim().split(/\s+/);
    if (f.length < 4) continue;
    const [addrHex, portHex] = f[1]!.split(':');
    const state = f[3];
    if (!addrHex || !portHex) continue;
    if (proto === 'tcp' && state !== '0A') continue; // LISTEN
    if (proto === 'udp' && state !== '07') continue; // unconnected: a bound, listening socket
    out.push({ proto, port: Number.parseInt(portHex, 16), address: v6 ? hexToIpv6(addrHex) : hexToIpv4(addrHex) });
  }
  return out;
}

export function parseKubernetes(lines: string[]): HostFacts['kubernetes'] {
  return {
    present: lines.includes('present'),
    confFiles: lines.filter((l) => l.startsWith('conf ')).map((l) => l.slice(5)),
    manifests: lines.filter((l) => l.startsWith('manifest ')).map((l) => l.slice(9)),
    kubeletConfig: lines.includes('kubelet-config'),
    caPresent: lines.includes('ca'),
  };
}

/** Turn the probe's output into HostFacts. Throws ProbeParseError on truncated or foreign output. */
const CAP_SYS_TIME = 25;

/** Whether capability number `cap` is set in a /proc/PID/status mask such as `000001ffffffffff`. */
export function hasCapability(maskHex: string, cap: number): boolean {
  if (!/^[0-9a-f]+$/i.test(maskHex)) return false;
  return ((BigInt(`0x${maskHex}`) >> BigInt(cap)) & 1n) === 1n;
}

/** `apt-cache policy` (stanzas `name:` with `Candidate: v`) or dnf repoquery (`dnf`, then `name\tevr`). */
export function parseCandidates(lines: string[], wanted: readonly string[]): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const w of wanted) out[w] = null;
  let current: string | undefined;
  const dnf = lines[0]?.trim() === 'dnf';
  for (const l of lines) {
    if (dnf) {
      const [name, evr] = l.trim().split('\t');
      if (name !== undefined && evr !== undefined && name in out) out[name] = evr.replace(/^0:/, '');
      continue;
    }
    const head = /^(\S+):$/.exec(l);
    if (head) {
      current = head[1]!.replace(/:[a-z0-9]+$/, '');
      continue;
    }
    const cand = /^\s+Candidate:\s*(\S+)/.exec(l);
    if (cand && current !== undefined && current in out) out[current] = cand[1] === '(none)' ? null : cand[1]!;
  }
  return out;
}

/** The cgroup mounts the probe printed (`mountpoint fstype`) as a mode. */
export function parseCgroupMode(lines: string[]): CgroupMode {
  const fs = new Map<string, string>();
  for (const l of lines) {
    const [mp, type] = l.trim().split(/\s+/);
    if (mp !== undefined && type !== undefined) fs.set(mp, type);
  }
  const root = fs.get('/sys/fs/cgroup');
  if (root === 'cgroup2') return 'v2';
  if (root === 'tmpfs') return fs.get('/sys/fs/cgroup/unified') === 'cgroup2' ? 'hybrid' : 'v1';
  return 'unknown';
}

export function parseProbeOutput(output: string | Buffer, req: FactRequest): HostFacts {
  const { text, archive, tarStatus } = splitArchive(typeof output === 'string' ? Buffer.from(output, 'utf8') : output);
  const { sections, missing, complete } = splitSections(text);
  if (!complete) throw new ProbeParseError('probe output is incomplete (no end marker): the probe was cut short');
  const sec = (name: string) => sections.get(name) ?? [];
  const system = kvLines(sec('system'));
  const mem = parseMeminfo(sec('meminfo'));
  const clock = Number(sec('clock')[0]);
  const processes = [
    ...new Set(
      sec('processes')
        .map((l) => l.trim())
        .filter(Boolean),
    ),
  ].sort();
  const pkgs = parsePackages(sec('packages'), sections.get('versionlock'), req.packages);
  const units = parseUnits(sec('units'), req.units);

  let interfaces: InterfaceFacts[];
  if (sections.has('netdev')) interfaces = parseNetdev(sec('netdev'));
  else interfaces = parseIpJson(sec('ip'));

  let listeningPorts: ListeningPort[];
  if (missing.includes('ss')) {
    listeningPorts = [
      ...parseProcNet(sec('proc-net-tcp'), 'tcp', false),
      ...parseProcNet(sec('proc-net-tcp6'), 'tcp', true),
      ...parseProcNet(sec('proc-net-udp'), 'udp', false),
      ...parseProcNet(sec('proc-net-udp6'), 'udp', true),
    ];
  } else listeningPorts = parseSs(sec('ports'));

  const cpus = system['cpus-online'] !== undefined ? countCpuList(system['cpus-online']) : Number(system.cpus ?? 0);

  return {
    hostname: system.hostname ?? '',
    os: parseOsRelease(sec('os-release')),
    arch: system.arch ?? '',
    kernel: system.kernel ?? '',
    cpus,
    memoryBytes: mem.MemTotal ?? 0,
    disks: parseDf(sec('df'), ['/', '/var']),
    swap: { ...parseSwaps(sec('swaps')), fstabEntries: parseFstabSwap(sec('fstab')) },
    interfaces,
    sysctls: parseSysctls(sec('sysctl'), req.sysctls),
    modules: parseModules(sec('modules'), req.modules ?? []),
    packageManager: pkgs.manager,
    packages: pkgs.packages,
    candidates: parseCandidates(sec('candidates'), req.candidates ?? []),
    cgroupMode: parseCgroupMode(sec('cgroup')),
    init: units.init,
    units: units.units,
    files: parseFiles(sec('files'), sec('sha256'), req.files, archive && { data: archive, tarStatus: tarStatus ?? 0 }, sec('lsattr'), sec('mounts')),
    certificates: parseCerts(sec('certs'), Number.isFinite(clock) ? clock : Date.now() / 1000, missing.includes('openssl')),
    kubernetes: parseKubernetes(sec('kubernetes')),
    timeSync: parseTimeSync(sec('timesync'), processes),
    listeningPorts,
    processes,
    ...(system.capbnd !== undefined ? { canSetClock: hasCapability(system.capbnd, CAP_SYS_TIME) } : {}),
    clockEpochSeconds: Number.isFinite(clock) ? clock : 0,
    missingTools: [...new Set(missing)].sort(),
  };
}
