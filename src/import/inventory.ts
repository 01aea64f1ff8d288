// Ansible inventories (as kubespray and kubeasz ship them) in, the hosts to import out: INI or YAML,
// told apart by content. Only what import needs is read: each host's address (`ansible_host`, else
// kubespray's `ip`, else the inventory name when it is an IP address) and name. Groups only
// gather hosts: every host of every group is imported, except those of a `bastion` group (kubespray
// lists its jump host there).
//
// INI per Ansible's ini inventory plugin: `[group]` sections of host lines (`name key=value ...`,
// values optionally quoted), `[group:vars]` and `[group:children]` sections, `#` and `;` comments.
// Host ranges (`node[01:10]`) are refused with the reason rather than expanded wrongly.

import { parse as parseYaml } from 'yaml';
import { parseIp } from '../spec/net.js';

export interface InventoryHost {
  /** The inventory's name for the host. */
  name: string;
  address: string;
  groups: string[];
  /** Variables import does not use but reports when they differ from its flags. */
  user?: string;
  port?: number;
}

export class InventoryError extends Error {}

const SKIPPED_GROUPS = new Set(['bastion']);

/** Splits `a=1 b="x y" c='z'` into pairs (Ansible's shlex-like split of host lines). */
export function splitHostLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  let any = false;
  for (const ch of line) {
    if (quote !== undefined) {
      if (ch === quote) quote = undefined;
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      any = true;
    } else if (/\s/.test(ch)) {
      if (any || cur !== '') out.push(cur);
      cur = '';
      any = false;
    } else {
      cur += ch;
      any = true;
    }
  }
  if (quote !== undefined) throw new InventoryError(`unterminated ${quote} quote`);
  if (any || cur !== '') out.push(cur);
  return out;
}

interface RawHost {
  name: string;
  vars: Record<string, string>;
  groups: Set<string>;
  where: string;
}

function addHost(hosts: Map<string, RawHost>, name: string, vars: Record<string, string>, group: string, where: string): void {
  if (/\[[^\]]*:[^\]]*\]/.test(name)) throw new InventoryError(`${where}: host ranges such as ${name} are not supported: list the hosts one per line`);
  const h = hosts.get(name) ?? { name, vars: {}, groups: new Set<string>(), where };
  Object.assign(h.vars, vars);
  h.groups.add(group);
  hosts.set(name, h);
}

export function parseIniInventory(text: string, file: string): Map<string, RawHost> {
  const hosts = new Map<string, RawHost>();
  let section = 'ungrouped';
  let kind: 'hosts' | 'vars' | 'children' = 'hosts';
  text.split('\n').forEach((raw, i) => {
    const where = `${file}:${i + 1}`;
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const sec = /^\[([^\]]+)\]$/.exec(line);
    if (sec) {
      const [name, suffix] = sec[1]!.split(':');
      section = name!;
      kind = suffix === 'vars' ? 'vars' : suffix === 'children' ? 'children' : 'hosts';
      if (suffix !== undefined && suffix !== 'vars' && suffix !== 'children') throw new InventoryError(`${where}: unknown section kind :${suffix}`);
      return;
    }
    if (kind !== 'hosts') return;
    let words: string[];
    try {
      words = splitHostLine(line.replace(/\s+#.*$/, ''));
    } catch (e) {
      throw new InventoryError(`${where}: ${(e as Error).message}`);
    }
    const [name, ...rest] = words;
    const vars: Record<string, string> = {};
    for (const w of rest) {
      const eq = w.indexOf('=');
      if (eq <= 0) throw new InventoryError(`${where}: expected key=value after the host name, got ${JSON.stringify(w)}`);
      vars[w.slice(0, eq)] = w.slice(eq + 1);
    }
    addHost(hosts, name!, vars, section, where);
  });
  return hosts;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseYamlInventory(doc: unknown, file: string): Map<string, RawHost> {
  const hosts = new Map<string, RawHost>();
  const walk = (group: string, g: unknown, path: string) => {
    if (g === null || g === undefined) return;
    if (!isObj(g)) throw new InventoryError(`${file}: ${path} must be a mapping`);
    if (g.hosts !== undefined && g.hosts !== null) {
      if (!isObj(g.hosts)) throw new InventoryError(`${file}: ${path}.hosts must be a mapping of host names`);
      for (const [name, v] of Object.entries(g.hosts)) {
        const vars: Record<string, string> = {};
        if (isObj(v)) for (const [k, x] of Object.entries(v)) if (typeof x === 'string' || typeof x === 'number') vars[k] = String(x);
        addHost(hosts, name, vars, group, `${file}: ${path}.hosts.${name}`);
      }
    }
    if (g.children !== undefined && g.children !== null) {
      if (!isObj(g.children)) throw new InventoryError(`${file}: ${path}.children must be a mapping of groups`);
      for (const [name, c] of Object.entries(g.children)) walk(name, c, `${path}.children.${name}`);
    }
  };
  if (!isObj(doc)) throw new InventoryError(`${file}: a YAML inventory is a mapping of groups (all: {hosts: ..., children: ...})`);
  for (const [name, g] of Object.entries(doc)) walk(name, g, name);
  return hosts;
}

/** The hosts of an inventory file's text, in the order they first appear. */
export function parseInventory(text: string, file: string): InventoryHost[] {
  let raw: Map<string, RawHost>;
  const looksIni = /^\s*\[[^\]]+\]\s*$/m.test(text);
  if (looksIni) raw = parseIniInventory(text, file);
  else {
    let doc: unknown;
    try {
      doc = parseYaml(text);
    } catch (e) {
      throw new InventoryError(`${file}: neither an INI inventory (no [group] section) nor YAML: ${(e as Error).message.split('\n')[0]}`);
    }
    raw = parseYamlInventory(doc, file);
  }
  const out: InventoryHost[] = [];
  for (const h of raw.values()) {
    if ([...h.groups].every((g) => SKIPPED_GROUPS.has(g))) continue;
    const address = h.vars.ansible_host ?? h.vars.ip ?? h.name;
    if (parseIp(address) === undefined)
      throw new InventoryError(`${h.where}: host ${h.name} has no IP address (set ansible_host=ADDRESS): hactl's spec names hosts by address`);
    const port = h.vars.ansible_port !== undefined ? Number(h.vars.ansible_port) : undefined;
    out.push({
      name: h.name,
      address,
      groups: [...h.groups],
      ...(h.vars.ansible_user !== undefined ? { user: h.vars.ansible_user } : {}),
      ...(port !== undefined && Number.isInteger(port) ? { port } : {}),
    });
  }
  if (out.length === 0) throw new InventoryError(`${file}: no hosts in the inventory`);
  const seen = new Map<string, string>();
  for (const h of out) {
    const other = seen.get(h.address);
    if (other !== undefined) throw new InventoryError(`${file}: ${h.name} and ${other} have the same address ${h.address}`);
    seen.set(h.address, h.name);
  }
  return out;
}
