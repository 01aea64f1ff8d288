import { describe, expect, it } from 'vitest';
import { buildPlan, hasChanges, normalizePlan, summarize, type Plan } from '../../src/plan/model.js';
import {
  attr,
  fileChange,
  fileDiff,
  inferAction,
  managedHeader,
  normalizeContent,
  resourceChange,
  sha256,
  unknown,
  type Action,
  type ResourceChange,
} from '../../src/resources/diff.js';
import { maskSecrets, Sensitive } from '../../src/transport/sensitive.js';

const node = (id: string) => ({ id, kind: id.split('@')[0] as 'containerd', host: id.split('@')[1] ?? 'cp1' });

function planOf(actions: Action[]): Plan {
  return buildPlan({
    createdAt: new Date(Date.UTC(2026, 10, 22)),
    spec: { file: 'cluster.yaml', sha256: sha256('x') },
    hosts: [],
    changes: actions.map((action, i) => resourceChange(node(`containerd@h${i}`), { action })),
  });
}

describe('summarize / hasChanges', () => {
  it('counts a replace as one add and one destroy, like Terraform', () => {
    expect(summarize(planOf(['create', 'update', 'replace', 'delete', 'read', 'no-op', 'no-op']))).toEqual({
      add: 2,
      change: 1,
      destroy: 2,
      read: 1,
      noop: 2,
    });
  });

  it('sees no changes in no-ops and reads alone', () => {
    expect(hasChanges(planOf([]))).toBe(false);
    expect(hasChanges(planOf(['no-op', 'read']))).toBe(false);
    for (const a of ['create', 'update', 'replace', 'delete'] as const) expect(hasChanges(planOf([a]))).toBe(true);
  });
});

describe('attr', () => {
  it('keeps known values and flags changes', () => {
    expect(attr('version', '1.7.0', '1.7.2')).toEqual({ name: 'version', before: { value: '1.7.0' }, after: { value: '1.7.2' }, changed: true });
    expect(attr('v', 1, 1)).toEqual({ name: 'v', before: { value: 1 }, after: { value: 1 }, changed: false });
    expect(attr('v', undefined, false)).toEqual({ name: 'v', after: { value: false }, changed: true });
  });

  it('drops sensitive raw values but still knows whether they changed', () => {
    const same = attr('password', 's3cret', 's3cret', { sensitive: true });
    const diff = attr('password', 's3cret', 'other', { sensitive: true });
    expect(same).toEqual({ name: 'password', before: { sensitive: true }, after: { sensitive: true }, changed: false });
    expect(diff.changed).toBe(true);
    expect(JSON.stringify([same, diff])).not.toMatch(/s3cret|other/);
  });

  it('treats an unknown side as a change', () => {
    expect(attr('token', undefined, unknown())).toEqual({ name: 'token', after: { unknown: true }, changed: true });
    expect(attr('hash', 'abc', unknown()).changed).toBe(true);
  });

  it('marks forcesReplacement only when the attribute changes', () => {
    expect(attr('dataDir', '/a', '/b', { forcesReplacement: true }).forcesReplacement).toBe(true);
    expect(attr('dataDir', '/a', '/a', { forcesReplacement: true }).forcesReplacement).toBeUndefined();
  });
});

describe('inferAction', () => {
  it('is replace, update or no-op from what changed', () => {
    const same = attr('a', 1, 1);
    const changed = attr('a', 1, 2);
    const forcing = attr('d', 'x', 'y', { forcesReplacement: true });
    const f = fileChange({ path: '/etc/x', before: 'a\n', after: 'b\n' });
    const fSame = fileChange({ path: '/etc/x', before: 'a\n', after: 'a \n' });
    expect(inferAction([same], [fSame])).toBe('no-op');
    expect(inferAction([changed], [])).toBe('update');
    expect(inferAction([same], [f])).toBe('update');
    expect(inferAction([changed, forcing], [])).toBe('replace');
  });
});

describe('normalizeContent', () => {
  it('drops CRLF, trailing whitespace, trailing blank lines and our header', () => {
    const raw = `${managedHeader()} 2026-01-01T00:00:00Z\r\na = 1  \r\n\r\nb = 2\t\r\n\r\n\r\n`;
    expect(normalizeContent(raw)).toBe('a = 1\n\nb = 2\n');
  });

  it('recognises the header under other comment styles but keeps other comments', () => {
    expect(normalizeContent('// managed by hactl at 10:00\n; Managed by hactl\n# keep me\nx\n')).toBe('# keep me\nx\n');
  });

  it('sorts all lines or only runs matching a pattern when asked', () => {
    expect(normalizeContent('b\na\nc\n', { sortAll: true })).toBe('a\nb\nc\n');
    const haproxy = 'backend api\n  server cp2 10.0.0.12:6443\n  server cp1 10.0.0.11:6443\n  option httpchk\n  server z 1\n  server a 2\n';
    expect(normalizeContent(haproxy, { sortRuns: [/^\s*server\s/] })).toBe(
      'backend api\n  server cp1 10.0.0.11:6443\n  server cp2 10.0.0.12:6443\n  option httpchk\n  server a 2\n  server z 1\n',
    );
    expect(normalizeContent('b\na\n')).toBe('b\na\n');
  });
});

describe('fileDiff', () => {
  it('is empty when only noise differs', () => {
    const before = `${managedHeader()} 2026-01-01\nx = 1   \r\n`;
    const after = `${managedHeader()} 2026-11-22\nx = 1\n\n`;
    expect(fileDiff('/etc/x.conf', before, after)).toBe('');
  });

  it('shows a real change as a unified diff with file headers', () => {
    const d = fileDiff('/etc/x.conf', 'a\nb\nc\n', 'a\nB\nc\n');
    expect(d).toBe('--- /etc/x.conf\n+++ /etc/x.conf\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n');
  });

  it('diffs against /dev/null for created and removed files', () => {
    expect(fileDiff('/etc/n', null, 'x\n')).toBe('--- /dev/null\n+++ /etc/n\n@@ -0,0 +1,1 @@\n+x\n');
    expect(fileDiff('/etc/n', 'x\n', null)).toBe('--- /etc/n\n+++ /dev/null\n@@ -1,1 +0,0 @@\n-x\n');
  });

  it('ignores order only when asked', () => {
    expect(fileDiff('/f', 'a\nb\n', 'b\na\n', { normalize: { sortAll: true } })).toBe('');
    expect(fileDiff('/f', 'a\nb\n', 'b\na\n')).not.toBe('');
  });

  it('keeps raw differences when normalisation is off', () => {
    expect(fileDiff('/f', 'a \n', 'a\n', { normalize: false })).not.toBe('');
  });

  it('masks secret fields before diffing', () => {
    const d = fileDiff('/f', 'token: old-tok-123\n', 'token: new-tok-456\n', { secretFields: [{ pattern: /^(token: ).*/gm }] });
    expect(d).toBe('');
  });
});

describe('fileChange', () => {
  it('derives the action and hashes raw content', () => {
    const c = fileChange({ path: '/etc/a', before: null, after: 'x\n', mode: { after: '0600' } });
    expect(c).toMatchObject({ path: '/etc/a', action: 'create', afterSha256: sha256('x\n'), mode: { after: '0600' } });
    expect(c.beforeSha256).toBeUndefined();
    expect(fileChange({ path: '/etc/a', before: 'x\n', after: null }).action).toBe('delete');
    expect(fileChange({ path: '/etc/a', before: 'x\n', after: 'x\n' }).action).toBe('no-op');
  });

  it('counts a mode or owner change alone as an update with an empty diff', () => {
    const c = fileChange({ path: '/etc/a', before: 'x\n', after: 'x\n', mode: { before: '0644', after: '0600' } });
    expect(c.action).toBe('update');
    expect(c.diff).toBe('');
    expect(fileChange({ path: '/etc/a', before: 'x\n', after: 'x\n', owner: { before: 'root:root', after: 'root:root' } }).action).toBe('no-op');
  });

  it('keeps neither content nor hashes of a sensitive file', () => {
    const c = fileChange({ path: '/etc/k', before: 'key: aaa\n', after: 'key: bbb\n', sensitive: true });
    expect(c).toEqual({ path: '/etc/k', action: 'update', diff: '', sensitive: true });
  });
});

describe('maskSecrets', () => {
  const values = (...xs: string[]) => ({ values: xs.map((x) => new Sensitive(x)) });
  it('masks literal occurrences of Sensitive values, regex characters included, longest first', () => {
    expect(maskSecrets('a.b*c and a.b', values('a.b', 'a.b*c'))).toBe('(sensitive value) and (sensitive value)');
    expect(maskSecrets('nothing here', values('', 'zzz'))).toBe('nothing here');
    expect(maskSecrets('xx$&yy', values('$&'))).toBe('xx(sensitive value)yy');
  });

  it('masks in one pass: the mask is never searched again, so a one-letter value cannot nest', () => {
    expect(maskSecrets('a e', values('e'))).toBe('a (sensitive value)');
  });

  it('masks a field by its syntax, whatever the value', () => {
    const fields = [{ pattern: /^(\s*auth_pass\s+)\S+/gm }];
    expect(maskSecrets('  auth_pass kube\n  path /etc/kubernetes\n', { fields })).toBe('  auth_pass (sensitive value)\n  path /etc/kubernetes\n');
  });

  it('a Sensitive prints as the mask', () => {
    const s = new Sensitive('hunter2');
    expect(`${s}`).toBe('(sensitive value)');
    expect(JSON.stringify({ s })).toBe('{"s":"(sensitive value)"}');
    expect(s.reveal()).toBe('hunter2');
  });
});

describe('buildPlan', () => {
  const change = (): ResourceChange =>
    resourceChange(node('containerd@cp1'), {
      reason: 'password tok-AAA rotated',
      attributes: [attr('user', 'tok-AAA', 'b')],
      files: [fileChange({ path: '/f', before: 'tok-AAA\n', after: 'x\n' })],
      steps: ['login with tok-AAA'],
      dependsOn: ['os-prep@cp1', 'os-prep@cp1', 'package-sources@cp1'],
      pendingOn: ['kubeadm-init'],
    });

  it('sorts what has no order, keeps step order, and dedupes dependencies', () => {
    const p = buildPlan({
      createdAt: new Date(Date.UTC(2026, 10, 22, 8)),
      spec: { file: 'c.yaml', sha256: sha256('') },
      hosts: [
        { name: 'w1', address: 'b' },
        { name: 'cp1', address: 'a' },
      ],
      changes: [
        resourceChange(node('os-prep@w1'), { steps: ['z', 'a'] }),
        resourceChange(node('containerd@cp1'), { attributes: [attr('b', 1, 2), attr('a', 1, 2)], dependsOn: ['y', 'x', 'x'] }),
      ],
      diagnostics: [
        { severity: 'warning', message: 'w' },
        { severity: 'error', message: 'e' },
      ],
    });
    expect(p.createdAt).toBe('2026-11-22T08:00:00.000Z');
    expect(p.hosts.map((h) => h.name)).toEqual(['cp1', 'w1']);
    expect(p.changes.map((c) => c.id)).toEqual(['containerd@cp1', 'os-prep@w1']);
    expect(p.changes[0]!.attributes.map((a) => a.name)).toEqual(['a', 'b']);
    expect(p.changes[0]!.dependsOn).toEqual(['x', 'y']);
    expect(p.changes[1]!.steps).toEqual(['z', 'a']);
    expect(p.diagnostics.filter((d) => d.resource === undefined).map((d) => d.severity)).toEqual(['error', 'warning']);
  });

  it('is deterministic: the same inputs in any order serialise identically', () => {
    const a = change();
    const b = resourceChange(node('os-prep@w1'), { attributes: [attr('swap', 'on', 'off')] });
    const base = { createdAt: '2026-11-22T00:00:00.000Z', spec: { file: 'c', sha256: sha256('') } };
    const p1 = buildPlan({
      ...base,
      hosts: [
        { name: 'a', address: '1' },
        { name: 'b', address: '2' },
      ],
      changes: [a, b],
    });
    const p2 = buildPlan({
      ...base,
      hosts: [
        { name: 'b', address: '2' },
        { name: 'a', address: '1' },
      ],
      changes: [b, a],
    });
    expect(JSON.stringify(p1)).toBe(JSON.stringify(p2));
    expect(JSON.stringify(normalizePlan(p1))).toBe(JSON.stringify(p1));
  });

  it('corrects a changed flag the values contradict', () => {
    const p = planOf([]);
    p.changes.push({ ...resourceChange(node('containerd@x')), attributes: [{ name: 'v', before: { value: 1 }, after: { value: 1 }, changed: true }] });
    expect(normalizePlan(p).changes[0]!.attributes[0]!.changed).toBe(false);
  });
});

describe('secrets inside files', () => {
  it('hashes masked content when the file has secret fields', () => {
    const c = fileChange({ path: '/etc/a', before: null, after: 'password: hunter2\n', secretFields: [{ pattern: /^(password: ).*/gm }] });
    expect(c.afterSha256).toBe(sha256('password: (sensitive value)\n'));
    expect(c.diff).not.toContain('hunter2');
  });
});

describe('checkPlan', () => {
  const base = { createdAt: '2026-11-22T00:00:00.000Z', spec: { file: 'c.yaml', sha256: sha256('') } };
  const messages = (p: Plan) => p.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);

  it('refuses a removed host whose removal is not planned', () => {
    const p = buildPlan({ ...base, hosts: [{ name: 'cp3', address: '10.0.0.13', removed: true }], changes: [] });
    expect(messages(p)).toEqual(['host cp3 was removed from the spec but its removal (drain, etcd member removal, reset) is not planned']);
    const ok = buildPlan({
      ...base,
      hosts: [{ name: 'cp3', address: '10.0.0.13', removed: true }],
      changes: [resourceChange(node('join-control-plane@cp3'), { action: 'delete', steps: ['kubectl drain cp3'] })],
    });
    expect(messages(ok)).toEqual([]);
  });

  it('refuses changes on unobserved or unlisted hosts and dangling references', () => {
    const p = buildPlan({
      ...base,
      hosts: [
        { name: 'cp1', address: 'a' },
        { name: 'w3', address: 'b', unreachable: 'timeout' },
      ],
      changes: [
        resourceChange(node('os-prep@w3'), { action: 'update' }),
        resourceChange(node('os-prep@w9'), { action: 'no-op' }),
        resourceChange(node('containerd@cp1'), { action: 'update', dependsOn: ['gone'], pendingOn: ['os-prep@w9', 'nothing'] }),
      ],
    });
    expect(messages(p).sort()).toEqual([
      'containerd@cp1 depends on gone, which is not in the plan',
      'containerd@cp1 waits on nothing, which is not in the plan',
      'containerd@cp1 waits on os-prep@w9, which has nothing pending',
      'os-prep@w3 is planned on w3, which could not be observed',
      'os-prep@w9 is planned on host w9, which the plan does not list',
    ]);
  });
});
