// Wording shared by the human and markdown views, so both say the same thing the same way.

import type { Plan, PlanHost } from '../plan/model.js';
import type { Action, AttributeChange, EtcdObservation, FileChange, ResourceChange, Value } from '../resources/diff.js';
import { summarize } from '../plan/model.js';
import { SENSITIVE_MASK } from '../transport/sensitive.js';
import { isKnown, isSensitive } from '../resources/diff.js';

export const KNOWN_AFTER_APPLY = '(known after apply)';
export const SENSITIVE_CONTENT = '(sensitive content)';

/** Terraform's markers: `+` create, `-` destroy, `~` update, `-/+` replace, `<=` read. */
export const MARKER: Record<Action, string> = {
  'no-op': ' ',
  create: '+',
  update: '~',
  replace: '-/+',
  delete: '-',
  read: '<=',
};

export const PHRASE: Record<Action, string> = {
  'no-op': 'is up to date',
  create: 'will be created',
  update: 'will be updated in-place',
  replace: 'must be replaced',
  delete: 'will be destroyed',
  read: 'will be read during apply',
};

export function renderValue(v: Value | undefined): string {
  if (v === undefined) return 'null';
  if (isKnown(v)) return JSON.stringify(v.value);
  if (isSensitive(v)) return SENSITIVE_MASK;
  return KNOWN_AFTER_APPLY;
}

/** One attribute as `<marker> name = before -> after`, in Terraform's shape. */
export function attributeLine(a: AttributeChange): { marker: string; text: string } {
  const suffix = a.forcesReplacement ? ' # forces replacement' : '';
  if (a.before === undefined) return { marker: '+', text: `${a.name} = ${renderValue(a.after)}${suffix}` };
  if (a.after === undefined) return { marker: '-', text: `${a.name} = ${renderValue(a.before)} -> null${suffix}` };
  if (isSensitive(a.before) && isSensitive(a.after)) return { marker: '~', text: `${a.name} = ${SENSITIVE_MASK}${suffix}` };
  return { marker: '~', text: `${a.name} = ${renderValue(a.before)} -> ${renderValue(a.after)}${suffix}` };
}

export function fileMarker(f: FileChange): string {
  return f.action === 'create' ? '+' : f.action === 'delete' ? '-' : f.action === 'update' ? '~' : ' ';
}

/** `mode 0644 -> 0600, owner root:root -> root:etcd` for what changes besides content. */
export function fileMeta(f: FileChange): string[] {
  const out: string[] = [];
  const change = (what: string, m: { before?: string; after?: string } | undefined) => {
    if (!m || m.before === m.after || m.after === undefined) return;
    out.push(m.before === undefined ? `${what} ${m.after}` : `${what} ${m.before} -> ${m.after}`);
  };
  change('mode', f.mode);
  change('owner', f.owner);
  return out;
}

/** Diff lines without the `---`/`+++` file header (the path is already in the file's line). */
export function diffBody(diff: string): string[] {
  const lines = diff.replace(/\n$/, '').split('\n');
  while (lines.length > 0 && (lines[0]!.startsWith('--- ') || lines[0]!.startsWith('+++ '))) lines.shift();
  return lines.filter((l) => l !== '');
}

export function summaryLine(plan: Pick<Plan, 'changes'>): string {
  const s = summarize(plan);
  return `${s.add} to add, ${s.change} to change, ${s.destroy} to destroy`;
}

export function hostTitle(h: PlanHost): string {
  return `${h.name} (${h.address})`;
}

/** Changes worth showing (Terraform hides no-ops), grouped by host in the plan's host order. */
export function changesByHost(plan: Plan): { host: PlanHost; changes: ResourceChange[] }[] {
  const shown = plan.changes.filter((c) => c.action !== 'no-op');
  const known = new Map(plan.hosts.map((h) => [h.name, h]));
  const groups = new Map<string, ResourceChange[]>();
  for (const c of shown) groups.set(c.host, [...(groups.get(c.host) ?? []), c]);
  const order = [...plan.hosts.map((h) => h.name), ...[...groups.keys()].filter((h) => !known.has(h)).sort()];
  return order.filter((name) => groups.has(name)).map((name) => ({ host: known.get(name) ?? { name, address: '?' }, changes: groups.get(name)! }));
}

export function pendingNote(c: ResourceChange): string | undefined {
  if (!c.pendingOn || c.pendingOn.length === 0) return undefined;
  return `outcome known after apply: depends on ${c.pendingOn.join(', ')}, which ${c.pendingOn.length === 1 ? 'has' : 'have'} changes pending`;
}

/** External etcd's members and health: a headline, then one line per member. */
export function etcdLines(etcd: EtcdObservation): { headline: string; members: string[] } {
  if (etcd.unknown !== undefined) return { headline: `etcd membership unknown: ${etcd.unknown}`, members: [] };
  const healthy = etcd.members.filter((m) => m.healthy).length;
  const n = etcd.members.length;
  const from = etcd.observedFrom !== undefined ? ` (as ${etcd.observedFrom} reports it)` : '';
  const members = etcd.members.map((m) => {
    const state = m.healthy ? 'healthy' : m.started ? `unhealthy${m.error !== undefined ? ` (${m.error})` : ''}` : 'not started';
    return `${m.name || '(not started)'} ${m.id} ${m.peerURLs.join(',')}: ${state}${m.leader ? ', leader' : ''}`;
  });
  return { headline: `etcd: ${n} member${n === 1 ? '' : 's'}, ${healthy} healthy${from}`, members };
}
