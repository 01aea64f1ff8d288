// The terminal view, modelled on `terraform plan`: a header per resource, + - ~ -/+ markers,
// indented unified diffs, diagnostics, then `Plan: X to add, Y to change, Z to destroy.`

import { Chalk, type ChalkInstance } from 'chalk';
import type { Plan } from '../plan/model.js';
import type { Action, Diagnostic, ResourceChange } from '../resources/diff.js';
import { hasChanges, isUnobservedDiagnostic } from '../plan/model.js';
import {
  MARKER,
  PHRASE,
  SENSITIVE_CONTENT,
  attributeLine,
  changesByHost,
  diffBody,
  etcdLines,
  fileMarker,
  fileMeta,
  hostTitle,
  pendingNote,
  summaryLine,
} from './common.js';
import { printableDeep } from './printable.js';

export interface HumanOptions {
  /** The command decides (TTY and NO_COLOR); never auto-detected here. */
  color: boolean;
  /** `separate`: errors (unobserved hosts included) are left out, for `renderHumanErrors` on stderr. */
  errors?: 'inline' | 'separate';
}

const LEGEND: [Action, string][] = [
  ['create', 'create'],
  ['update', 'update in-place'],
  ['delete', 'destroy'],
  ['replace', 'destroy and then create replacement'],
  ['read', 'read'],
];

function paint(c: ChalkInstance) {
  const byMarker = (m: string, s: string) =>
    m === '+' ? c.green(s) : m === '-' ? c.red(s) : m === '~' ? c.yellow(s) : m === '-/+' ? c.magenta(s) : m === '<=' ? c.cyan(s) : s;
  const diffLine = (l: string) => (l.startsWith('@@') ? c.cyan(l) : l.startsWith('+') ? c.green(l) : l.startsWith('-') ? c.red(l) : l);
  return { byMarker, diffLine };
}

function renderResource(c: ResourceChange, ch: ChalkInstance): string[] {
  const { byMarker, diffLine } = paint(ch);
  const marker = MARKER[c.action];
  const out: string[] = [];
  out.push(ch.bold(`  # ${c.id} ${PHRASE[c.action]}`));
  if (c.reason) out.push(`  # (because ${c.reason})`);
  const pending = pendingNote(c);
  if (pending) out.push(`  # (${pending})`);
  out.push(`${byMarker(marker, marker.padStart(3))} ${c.id} {`);
  const shown = c.attributes.filter((a) => a.changed);
  const width = Math.max(0, ...shown.map((a) => a.name.length));
  for (const a of shown) {
    const line = attributeLine(a);
    const [name, ...rest] = line.text.split(' = ');
    out.push(`      ${byMarker(line.marker, line.marker)} ${name!.padEnd(width)} = ${rest.join(' = ')}`);
  }
  const hidden = c.attributes.length - shown.length;
  if (hidden > 0) out.push(ch.dim(`        # (${hidden} unchanged attribute${hidden === 1 ? '' : 's'} hidden)`));
  for (const f of c.files.filter((f) => f.action !== 'no-op')) {
    const fm = fileMarker(f);
    const meta = fileMeta(f);
    out.push(`      ${byMarker(fm, fm)} file ${f.path}${meta.length > 0 ? ` (${meta.join(', ')})` : ''}`);
    if (f.sensitive) out.push(`          ${SENSITIVE_CONTENT}`);
    else for (const l of diffBody(f.diff)) out.push(`          ${diffLine(l)}`);
  }
  const unchangedFiles = c.files.length - c.files.filter((f) => f.action !== 'no-op').length;
  if (unchangedFiles > 0) out.push(ch.dim(`        # (${unchangedFiles} unchanged file${unchangedFiles === 1 ? '' : 's'} hidden)`));
  if (c.steps.length > 0) {
    out.push('        steps:');
    c.steps.forEach((s, i) => out.push(`          ${i + 1}. ${s}`));
  }
  out.push('    }');
  return out;
}

function renderDiagnostic(d: Diagnostic, ch: ChalkInstance): string {
  const label = d.severity === 'error' ? ch.red.bold('Error:') : d.severity === 'warning' ? ch.yellow.bold('Warning:') : ch.bold('Info:');
  const where = [d.host ? `host ${d.host}` : '', d.resource ?? ''].filter(Boolean).join(', ');
  return `${label} ${where ? `[${where}] ` : ''}${d.message}`;
}

/** The plan's errors for stderr: each unobserved host once, with why, then the other errors. */
export function renderHumanErrors(input: Plan, opts: { color: boolean }): string {
  const plan = printableDeep(input);
  const ch = new Chalk({ level: opts.color ? 1 : 0 });
  const out = plan.hosts
    .filter((h) => h.unreachable !== undefined)
    .map((h) => `${ch.red.bold('Error:')} host ${hostTitle(h)} was not observed: ${h.unreachable}; nothing on it is known or planned`);
  for (const d of plan.diagnostics) if (d.severity === 'error' && !isUnobservedDiagnostic(d, plan.hosts)) out.push(renderDiagnostic(d, ch));
  return out.length > 0 ? out.join('\n') + '\n' : '';
}

export function renderHuman(input: Plan, opts: HumanOptions): string {
  const plan = printableDeep(input);
  const ch = new Chalk({ level: opts.color ? 1 : 0 });
  const out: string[] = [];

  const inline = (opts.errors ?? 'inline') === 'inline';
  const unreachable = plan.hosts.filter((h) => h.unreachable !== undefined);
  if (inline) {
    for (const h of unreachable) {
      out.push(ch.red(`Host ${hostTitle(h)} was not observed: ${h.unreachable}`));
      out.push(`  Nothing on ${h.name} is known or planned; apply will not touch it.`);
    }
    if (unreachable.length > 0) out.push('');
  }

  // An unobserved host's resources say nothing more than its line above.
  const unobserved = new Set(unreachable.map((h) => h.name));
  const groups = changesByHost(plan).filter((g) => !unobserved.has(g.host.name));
  if (groups.length > 0) {
    const present = new Set(groups.flatMap((g) => g.changes.map((c) => c.action)));
    out.push('Resource actions are indicated with the following symbols:');
    for (const [action, text] of LEGEND) {
      if (present.has(action)) out.push(`  ${paint(ch).byMarker(MARKER[action], MARKER[action].padEnd(3))} ${text}`);
    }
    out.push('', 'hactl will perform the following actions:', '');
    for (const { host, changes } of groups) {
      const removed = host.removed ? ' (removed from the spec)' : '';
      out.push(ch.bold.underline(`Host ${hostTitle(host)}${removed}`), '');
      for (const c of changes) out.push(...renderResource(c, ch), '');
    }
  }

  const cluster = plan.cluster;
  if (cluster && (cluster.expiringCertificates.length > 0 || cluster.leaseHolders || cluster.etcd)) {
    out.push(ch.bold('Cluster:'));
    const lh = cluster.leaseHolders;
    if (lh && (lh.scheduler || lh.controllerManager)) {
      out.push(`  Leader leases: scheduler on ${lh.scheduler ?? '(none)'}, controller-manager on ${lh.controllerManager ?? '(none)'}`);
    }
    if (cluster.etcd) {
      const e = etcdLines(cluster.etcd);
      out.push(`  ${e.headline}`, ...e.members.map((m) => `    ${m}`));
    }
    for (const c of cluster.expiringCertificates) {
      const when = c.daysLeft < 0 ? `expired ${-c.daysLeft} days ago` : `expires in ${c.daysLeft} day${c.daysLeft === 1 ? '' : 's'}`;
      out.push(`  Certificate ${c.path} on ${c.host} ${when}`);
    }
    out.push('');
  }

  const diagnostics = plan.diagnostics.filter((d) => (inline || d.severity !== 'error') && !isUnobservedDiagnostic(d, plan.hosts));
  if (diagnostics.length > 0) {
    for (const d of diagnostics) out.push(renderDiagnostic(d, ch));
    out.push('');
  }

  if (plan.incomplete !== undefined) {
    const known = hasChanges(plan) ? `On the hosts observed: ${summaryLine(plan)}.` : 'The hosts observed need no changes.';
    out.push(`${ch.bold.red('Plan incomplete:')} ${plan.incomplete}. ${known}`);
  } else if (hasChanges(plan)) {
    out.push(`${ch.bold('Plan:')} ${summaryLine(plan)}.`);
  } else {
    out.push(`${ch.bold('No changes.')} The cluster matches the spec.`);
  }
  return out.map((l) => l.trimEnd()).join('\n') + '\n';
}
