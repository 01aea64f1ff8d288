// The human and markdown views of a drift report (the JSON view is the report itself). Attribute
// and file lines are worded as in the plan views; the markdown is an issue or comment body under
// GitHub's 65,536-character limit, cut at whole resources with a last line saying what was left out.

import { Chalk } from 'chalk';
import { attributeLine, diffBody, fileMarker, fileMeta, SENSITIVE_CONTENT } from '../views/common.js';
import { DEFAULT_MARKDOWN_CAP, GITHUB_COMMENT_LIMIT } from '../views/markdown.js';
import type { DriftAction, DriftedResource, DriftReport } from './report.js';
import { printableDeep } from '../views/printable.js';
import type { OutputFormat } from '../views/index.js';

export const DRIFT_MARKDOWN_MARKER = '<!-- hactl-drift -->';

const PHRASE: Record<DriftAction, string> = {
  create: 'is missing (apply would create it)',
  update: 'differs from the spec (apply would update it in place)',
  replace: 'differs from the spec (apply would replace it)',
  delete: 'should not exist (apply would destroy it)',
};

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/**
 * One drifted resource as plain lines: `#` notes, `+ - ~` attribute and file lines, diff bodies
 * (indented for a terminal; not in markdown, where a `diff` block colours lines by their first character).
 */
function resourceLines(d: DriftedResource, diffIndent: string): string[] {
  const out = [`# ${d.id} ${PHRASE[d.action]}`];
  if (d.reason !== undefined) out.push(`# (because ${d.reason.replace(/\r?\n/g, ' ')})`);
  for (const a of d.attributes) {
    const l = attributeLine(a);
    out.push(`${l.marker} ${l.text}`);
  }
  for (const f of d.files) {
    const meta = fileMeta(f);
    out.push(`${fileMarker(f)} file ${f.path}${meta.length > 0 ? ` (${meta.join(', ')})` : ''}`);
    if (f.sensitive) out.push(`  ${SENSITIVE_CONTENT}`);
    else out.push(...diffBody(f.diff).map((l) => diffIndent + l));
  }
  if (d.steps.length > 0) {
    out.push('# repair steps:');
    d.steps.forEach((s, i) => out.push(`#   ${i + 1}. ${s.replace(/\r?\n/g, ' ')}`));
  }
  return out;
}

function byHost(report: DriftReport): Map<string, DriftedResource[]> {
  const groups = new Map<string, DriftedResource[]>();
  for (const d of report.drifted) groups.set(d.host, [...(groups.get(d.host) ?? []), d]);
  return groups;
}

/** The closing sentence: what the run found, and what it could not check. */
export function driftHeadline(report: DriftReport): string {
  const s = report.summary;
  const notChecked = s.hostsUnreachable > 0 ? ` ${plural(s.hostsUnreachable, 'host was', 'hosts were')} not checked (unreachable).` : '';
  if (report.status === 'drift') {
    return `Drift: ${plural(s.drifted, 'resource differs', 'resources differ')} from the spec (${s.add} to add, ${s.change} to change, ${s.destroy} to destroy).${notChecked}`;
  }
  if (report.status === 'in-sync') return `No drift: all ${plural(s.checked, 'resource')} on ${plural(s.hostsObserved, 'host')} match the spec.`;
  const errors = s.errors > 0 && s.hostsUnreachable === 0 ? ` ${plural(s.errors, 'error')} (see above).` : '';
  return `No drift found on the ${plural(s.hostsObserved, 'observed host')}, but the check is incomplete.${notChecked}${errors}`;
}

function when(report: DriftReport): string {
  return `${report.finishedAt} (took ${(report.durationMs / 1000).toFixed(1)} s)`;
}

function certificateLine(c: { host: string; path: string; daysLeft: number }): string {
  const left = c.daysLeft < 0 ? `expired ${-c.daysLeft} days ago` : `expires in ${plural(c.daysLeft, 'day')}`;
  return `certificate ${c.path} on ${c.host} ${left}`;
}

export function renderDriftHuman(input: DriftReport, opts: { color: boolean }): string {
  const report = printableDeep(input);
  const ch = new Chalk({ level: opts.color ? 1 : 0 });
  const paint = (l: string): string =>
    /^\s*@@/.test(l) ? ch.cyan(l) : /^\s*\+/.test(l) ? ch.green(l) : /^\s*-/.test(l) ? ch.red(l) : /^\s*~/.test(l) ? ch.yellow(l) : l;
  const out: string[] = [`hactl drift for ${report.spec.file} at ${when(report)}`, ''];
  for (const h of report.unreachableHosts) {
    out.push(ch.red(`Host ${h.name} (${h.address}) is unreachable: ${h.reason}`), `  Nothing on ${h.name} was checked.`, '');
  }
  for (const [host, drifted] of byHost(report)) {
    out.push(ch.bold.underline(`Host ${host}`), '');
    for (const d of drifted) out.push(...resourceLines(d, '  ').map((l) => `    ${paint(l)}`), '');
  }
  const lh = report.leaseHolders;
  if (lh !== undefined || report.expiringCertificates.length > 0) {
    out.push(ch.bold('Cluster:'));
    if (lh !== undefined) out.push(`  Leader leases: scheduler on ${lh.scheduler ?? '(none)'}, controller-manager on ${lh.controllerManager ?? '(none)'}`);
    for (const c of report.expiringCertificates) out.push(`  ${certificateLine(c).replace(/^c/, 'C')}`);
    out.push('');
  }
  for (const d of report.diagnostics) {
    const label = d.severity === 'error' ? ch.red.bold('Error:') : d.severity === 'warning' ? ch.yellow.bold('Warning:') : ch.bold('Info:');
    const where = [d.host ? `host ${d.host}` : '', d.resource ?? ''].filter(Boolean).join(', ');
    out.push(`${label} ${where ? `[${where}] ` : ''}${d.message}`);
  }
  if (report.diagnostics.length > 0) out.push('');
  out.push(ch.bold(driftHeadline(report)));
  return out.map((l) => l.trimEnd()).join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// Markdown

function escapeInline(s: string): string {
  return s
    .replace(/\r?\n/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]|])/g, '\\$1');
}

function code(s: string): string {
  return '`' + s.replace(/`/g, "'") + '`';
}

/** A fence longer than any backtick run inside, so content can never close it early. */
function fenced(lines: string[]): { open: string; close: string } {
  let longest = 0;
  for (const l of lines) for (const m of l.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return { open: `${fence}diff\n`, close: `${fence}\n` };
}

function markdownHead(report: DriftReport): string[] {
  const out = [DRIFT_MARKDOWN_MARKER, `### hactl drift for ${code(report.spec.file)}`, '', `**${escapeInline(driftHeadline(report))}**`, ''];
  out.push(`Checked ${when(report)}: ${plural(report.summary.checked, 'resource')} on ${plural(report.summary.hostsObserved, 'host')}.`, '');
  if (report.unreachableHosts.length > 0) {
    out.push(
      '> [!CAUTION]',
      `> **${plural(report.unreachableHosts.length, 'host is', 'hosts are')} unreachable; nothing on ${report.unreachableHosts.length === 1 ? 'it' : 'them'} was checked:**`,
    );
    for (const h of report.unreachableHosts) out.push(`> - ${code(h.name)} (${escapeInline(h.address)}): ${escapeInline(h.reason)}`);
    out.push('');
  }
  for (const d of report.diagnostics) {
    const label = d.severity === 'error' ? '**Error**' : d.severity === 'warning' ? '**Warning**' : 'Info';
    const where = [d.host ? `host ${code(d.host)}` : '', d.resource ? code(d.resource) : ''].filter(Boolean).join(', ');
    out.push(`- ${label}${where ? ` (${where})` : ''}: ${escapeInline(d.message)}`);
  }
  if (report.diagnostics.length > 0) out.push('');
  const lh = report.leaseHolders;
  if (lh !== undefined)
    out.push(`Leader leases: scheduler on ${code(lh.scheduler ?? '(none)')}, controller-manager on ${code(lh.controllerManager ?? '(none)')}.`, '');
  if (report.expiringCertificates.length > 0) {
    out.push('**Expiring certificates:**', '');
    for (const c of report.expiringCertificates) out.push(`- ${escapeInline(certificateLine(c))}`);
    out.push('');
  }
  return out;
}

function cutNotice(shown: number, partial: number, total: number, cap: number): string {
  const part = partial > 0 ? ` (and ${partial} shown only in part)` : '';
  return (
    `\n---\n:warning: **Report cut to fit (${cap.toLocaleString('en-US')} characters):** ${total - shown - partial} of ${total} drifted resources not shown${part}. ` +
    'Run `hactl drift` for all of it, or `hactl drift -o json` for it as data.\n'
  );
}

/** Markdown for an issue or comment body, at most `maxChars` (default 60,000) characters. */
export function renderDriftMarkdown(input: DriftReport, opts: { maxChars?: number } = {}): string {
  const report = printableDeep(input);
  const cap = opts.maxChars ?? DEFAULT_MARKDOWN_CAP;
  if (!Number.isInteger(cap) || cap < 1_000 || cap >= GITHUB_COMMENT_LIMIT) {
    throw new RangeError(`markdown cap must be an integer from 1000 to ${GITHUB_COMMENT_LIMIT - 1}, got ${cap}`);
  }
  const total = report.drifted.length;
  const budget = cap - cutNotice(0, total, total, cap).length;
  let out = markdownHead(report).join('\n') + '\n';
  let shown = 0;
  for (const [host, drifted] of byHost(report)) {
    const heading = `#### Host ${code(host)}\n\n`;
    for (const [i, d] of drifted.entries()) {
      const lines = resourceLines(d, '');
      const f = fenced(lines);
      const block = (i === 0 ? heading : '') + f.open + lines.join('\n') + '\n' + f.close + '\n';
      if (out.length + block.length <= budget) {
        out += block;
        shown++;
        continue;
      }
      // Nothing shown yet: show the start of the first resource rather than nothing at all.
      if (shown === 0) {
        let partial = (i === 0 ? heading : '') + f.open;
        for (const l of lines) {
          if (partial.length + l.length + 1 + f.close.length + out.length > budget) break;
          partial += l + '\n';
        }
        out += partial + f.close;
        return out + cutNotice(0, 1, total, cap);
      }
      return out + cutNotice(shown, 0, total, cap);
    }
  }
  return out.replace(/\n+$/, '\n');
}

export function renderDriftReport(report: DriftReport, format: OutputFormat, opts: { color?: boolean; compactJson?: boolean } = {}): string {
  switch (format) {
    case 'human':
      return renderDriftHuman(report, { color: opts.color ?? false });
    case 'json':
      return opts.compactJson ? JSON.stringify(report) + '\n' : JSON.stringify(report, null, 2) + '\n';
    case 'markdown':
      return renderDriftMarkdown(report);
  }
}
