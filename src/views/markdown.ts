// `-o markdown`: a pull-request comment. A hidden marker so a CI bot can find and update its own
// comment, a summary line, a warning banner when anything is destroyed, one collapsible section per
// host with fenced diffs, and a hard cap under GitHub's 65,536-character comment limit: when cut,
// every open fence and <details> is closed and a last line says what was left out.

import type { Plan } from '../plan/model.js';
import type { ResourceChange } from '../resources/diff.js';
import { destroyedResources, hasChanges, isUnobservedDiagnostic, summarize } from '../plan/model.js';
import { PHRASE, SENSITIVE_CONTENT, attributeLine, changesByHost, diffBody, etcdLines, fileMarker, fileMeta, pendingNote, summaryLine } from './common.js';
import { printableDeep } from './printable.js';

export const MARKDOWN_MARKER = '<!-- hactl-plan -->';
export const DEFAULT_MARKDOWN_CAP = 60_000;
/** GitHub rejects comments of 65,536 characters or more. */
export const GITHUB_COMMENT_LIMIT = 65_536;
const MIN_CAP = 2_000;
/** Banner entries beyond this are counted, not listed, so the banner itself stays small. */
const BANNER_LIST_LIMIT = 30;
/** A single minified line must not eat the whole comment. */
const MAX_LINE = 1_000;

export interface MarkdownOptions {
  /** Maximum length of the whole comment in UTF-16 code units (default 60,000; must be < 65,536). */
  maxChars?: number;
}

type Token =
  | { t: 'line'; text: string }
  | { t: 'open-details'; summary: string }
  | { t: 'close-details' }
  | { t: 'open-fence'; fence: string }
  | { t: 'close-fence' }
  | { t: 'begin-resource'; firstInHost: boolean }
  | { t: 'end-resource' };

type Open = { t: 'details' } | { t: 'fence'; fence: string };

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Inline text: no HTML, no line breaks, and markdown punctuation that could restyle it escaped. */
function inline(s: string): string {
  return escapeHtml(s.replace(/\r?\n/g, ' ')).replace(/([\\`*_[\]|])/g, '\\$1');
}

function code(s: string): string {
  return '`' + s.replace(/`/g, "'") + '`';
}

function cutLine(l: string): string {
  if (l.length <= MAX_LINE) return l;
  let end = MAX_LINE;
  // Never leave half a surrogate pair behind.
  const c = l.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return l.slice(0, end) + ` … (line cut, ${l.length} characters)`;
}

function resourceLines(c: ResourceChange): string[] {
  const out: string[] = [`# ${c.id} ${PHRASE[c.action]}`];
  if (c.reason) out.push(`# (because ${c.reason})`);
  const pending = pendingNote(c);
  if (pending) out.push(`# (${pending})`);
  for (const a of c.attributes.filter((a) => a.changed)) {
    const l = attributeLine(a);
    out.push(`${l.marker} ${l.text}`);
  }
  for (const f of c.files.filter((f) => f.action !== 'no-op')) {
    const meta = fileMeta(f);
    out.push(`${fileMarker(f)} file ${f.path}${meta.length > 0 ? ` (${meta.join(', ')})` : ''}`);
    if (f.sensitive) out.push(`  ${SENSITIVE_CONTENT}`);
    else out.push(...diffBody(f.diff));
  }
  if (c.steps.length > 0) {
    out.push('# steps:');
    c.steps.forEach((s, i) => out.push(`#   ${i + 1}. ${s.replace(/\r?\n/g, ' ')}`));
  }
  return out.map(cutLine);
}

/** A fence longer than any backtick run inside, so content can never close it early. */
function fenceFor(lines: string[]): string {
  let longest = 0;
  for (const l of lines) for (const m of l.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  return '`'.repeat(Math.max(3, longest + 1));
}

function hostSummary(changes: ResourceChange[]): string {
  const s = summarize({ changes });
  const parts: string[] = [];
  if (s.add) parts.push(`${s.add} to add`);
  if (s.change) parts.push(`${s.change} to change`);
  if (s.destroy) parts.push(`${s.destroy} to destroy`);
  if (s.read) parts.push(`${s.read} to read`);
  return parts.join(', ');
}

function tokens(plan: Plan): { toks: Token[]; resources: number } {
  const toks: Token[] = [];
  const line = (text: string) => toks.push({ t: 'line', text });
  line(MARKDOWN_MARKER);
  line(`### hactl plan for ${code(plan.spec.file)}`);
  line('');
  if (plan.incomplete !== undefined)
    line(
      `**Plan incomplete:** ${inline(plan.incomplete)}. ${hasChanges(plan) ? `On the hosts observed: ${summaryLine(plan)}` : 'The hosts observed need no changes.'}`,
    );
  else line(hasChanges(plan) ? `**Plan:** ${summaryLine(plan)}` : '**Plan:** No changes.');
  line('');

  const destroyed = destroyedResources(plan);
  if (destroyed.length > 0) {
    line('> [!WARNING]');
    line(`> **This plan destroys ${destroyed.length} resource${destroyed.length === 1 ? '' : 's'}:**`);
    for (const c of destroyed.slice(0, BANNER_LIST_LIMIT)) {
      const what = c.action === 'replace' ? 'replaced' : 'destroyed';
      line(`> - ${code(c.id)} ${what}${c.reason ? `: ${inline(c.reason)}` : ''}`);
    }
    if (destroyed.length > BANNER_LIST_LIMIT) line(`> - … and ${destroyed.length - BANNER_LIST_LIMIT} more`);
    line('');
  }

  const unreachable = plan.hosts.filter((h) => h.unreachable !== undefined);
  if (unreachable.length > 0) {
    line('> [!CAUTION]');
    line(
      `> **${unreachable.length} host${unreachable.length === 1 ? ' was' : 's were'} not observed and ${unreachable.length === 1 ? 'is' : 'are'} not planned:**`,
    );
    for (const h of unreachable) line(`> - ${code(h.name)} (${inline(h.address)}): ${inline(h.unreachable ?? '')}`);
    line('');
  }

  // An unobserved host is said once, in the banner above.
  const diagnostics = plan.diagnostics.filter((d) => !isUnobservedDiagnostic(d, plan.hosts));
  if (diagnostics.length > 0) {
    for (const d of diagnostics) {
      const label = d.severity === 'error' ? '**Error**' : d.severity === 'warning' ? '**Warning**' : 'Info';
      const where = [d.host ? `host ${code(d.host)}` : '', d.resource ? code(d.resource) : ''].filter(Boolean).join(', ');
      line(`- ${label}${where ? ` (${where})` : ''}: ${inline(d.message)}`);
    }
    line('');
  }

  if (plan.cluster?.etcd) {
    const e = etcdLines(plan.cluster.etcd);
    line(`**${inline(e.headline)}**`);
    line('');
    for (const m of e.members) line(`- ${inline(m)}`);
    if (e.members.length > 0) line('');
  }

  const certs = plan.cluster?.expiringCertificates ?? [];
  if (certs.length > 0) {
    line('**Expiring certificates:**');
    line('');
    for (const c of certs)
      line(`- Certificate ${code(c.path)} on ${code(c.host)}: ${c.daysLeft < 0 ? `expired ${-c.daysLeft} days ago` : `${c.daysLeft} days left`}`);
    line('');
  }

  let resources = 0;
  for (const { host, changes } of changesByHost(plan).filter((g) => g.host.unreachable === undefined)) {
    const removed = host.removed ? ', removed from the spec' : '';
    toks.push({ t: 'open-details', summary: `<b>${escapeHtml(host.name)}</b> (${escapeHtml(host.address)}${removed}): ${hostSummary(changes)}` });
    for (const [i, c] of changes.entries()) {
      const body = resourceLines(c);
      toks.push({ t: 'begin-resource', firstInHost: i === 0 }, { t: 'open-fence', fence: fenceFor(body) });
      for (const l of body) line(l);
      toks.push({ t: 'close-fence' }, { t: 'end-resource' });
      line('');
      resources++;
    }
    toks.push({ t: 'close-details' });
  }
  return { toks, resources };
}

/** What closes `o` when the output is cut (a blank line first: the cut may leave a paragraph open). */
function closer(o: Open): string {
  return o.t === 'fence' ? `${o.fence}\n` : '\n</details>\n';
}

function truncationNotice(omitted: number, partial: number, total: number, cap: number): string {
  const part = partial > 0 ? ` (and ${partial} shown only in part)` : '';
  return (
    `\n---\n:warning: **Plan cut to fit a comment (${cap.toLocaleString('en-US')} characters):** ` +
    `${omitted} of ${total} changed resources not shown${part}. ` +
    'Run `hactl plan` for the full plan, or `hactl plan -o json` for all of it as data.\n'
  );
}

export function renderMarkdown(input: Plan, opts: MarkdownOptions = {}): string {
  const plan = printableDeep(input);
  const cap = opts.maxChars ?? DEFAULT_MARKDOWN_CAP;
  if (!Number.isInteger(cap) || cap < MIN_CAP || cap >= GITHUB_COMMENT_LIMIT) {
    throw new RangeError(`markdown cap must be an integer from ${MIN_CAP} to ${GITHUB_COMMENT_LIMIT - 1}, got ${cap}`);
  }
  const { toks, resources } = tokens(plan);
  // Room for the longest notice this plan could need, so appending it never breaks the cap.
  const budget = cap - truncationNotice(resources, resources, resources, cap).length;

  let out = '';
  const open: Open[] = [];
  let closingLength = 0;
  let complete = 0;
  let inResource = false;
  let shownOfResource = false;
  let atResourceStart = { length: 0, open: [] as Open[], closingLength: 0 };
  let atDetailsStart = atResourceStart;
  let cut = false;
  for (const tok of toks) {
    let text = '';
    let push: Open | undefined;
    let pop = false;
    switch (tok.t) {
      case 'line':
        text = tok.text + '\n';
        break;
      case 'open-details':
        atDetailsStart = { length: out.length, open: [...open], closingLength };
        text = `<details><summary>${tok.summary}</summary>\n\n`;
        push = { t: 'details' };
        break;
      case 'close-details':
        text = '</details>\n\n';
        pop = true;
        break;
      case 'open-fence':
        text = `${tok.fence}diff\n`;
        push = { t: 'fence', fence: tok.fence };
        break;
      case 'close-fence':
        text = closer(open[open.length - 1]!);
        pop = true;
        break;
      case 'begin-resource':
        inResource = true;
        shownOfResource = false;
        // Dropping the first resource of a host drops the host's section with it.
        atResourceStart = tok.firstInHost ? atDetailsStart : { length: out.length, open: [...open], closingLength };
        continue;
      case 'end-resource':
        inResource = false;
        complete++;
        continue;
    }
    const closingAfter = closingLength + (push ? closer(push).length : 0) - (pop ? closer(open[open.length - 1]!).length : 0);
    if (out.length + text.length + closingAfter > budget) {
      cut = true;
      break;
    }
    out += text;
    if (inResource && tok.t === 'line') shownOfResource = true;
    if (push) open.push(push);
    if (pop) open.pop();
    closingLength = closingAfter;
  }
  if (!cut) return out.replace(/\n+$/, '\n');
  // A resource shown in part is confusing; drop it whole unless nothing else would be shown.
  if (inResource && shownOfResource && complete > 0) {
    out = out.slice(0, atResourceStart.length);
    open.splice(0, open.length, ...atResourceStart.open);
    shownOfResource = false;
  }
  for (let i = open.length - 1; i >= 0; i--) out += closer(open[i]!);
  const partial = inResource && shownOfResource ? 1 : 0;
  return out + truncationNotice(resources - complete - partial, partial, resources, cap);
}
