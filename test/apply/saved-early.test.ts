// Saved plans and --target names are checked before any host is contacted: a plan made from another
// spec or an older one gets a precise message; a mistyped target gets "did you mean".
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import Apply, { applyParallelism } from '../../src/commands/apply.js';
import { selectTargets, TargetError } from '../../src/apply/select.js';
import { compile } from '../../src/resources/index.js';
import { buildPlan } from '../../src/plan/model.js';
import { checkSavedAgainstSpec, savePlan } from '../../src/plan/saved.js';
import { runCommand } from '../cli/run-command.js';
import { specFixture } from '../resources/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'hactl-saved-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sha = (t: string) => createHash('sha256').update(t).digest('hex');

// Hosts on loopback port 1 (refused at once) and a key file that exists: nothing to reach anyway.
function writeSpec(name: string, cluster: string, hosts: string[]): { file: string; text: string } {
  writeFileSync(join(dir, 'id'), 'not a key\n');
  const lines = [
    'apiVersion: hactl.io/v1alpha1',
    'kind: Cluster',
    'metadata:',
    `  name: ${cluster}`,
    'profile: test',
    'ssh:',
    '  port: 1',
    '  user: root',
    `  privateKeyFile: ${join(dir, 'id')}`,
    `  knownHostsFile: ${join(dir, 'kh')}`,
    'kubernetes:',
    '  podSubnet: 10.128.0.0/11',
    'hosts:',
  ];
  hosts.forEach((h, i) => lines.push(`  - { name: ${h}, address: 127.9.0.${i + 1}, roles: [${i === 0 ? 'control-plane' : 'worker'}] }`));
  const text = lines.join('\n') + '\n';
  const file = join(dir, name);
  writeFileSync(file, text);
  writeFileSync(join(dir, 'kh'), '');
  return { file, text };
}

async function savedFor(file: string, text: string, hosts: string[]): Promise<string> {
  const plan = buildPlan({
    createdAt: '2026-11-22T08:00:00.000Z',
    spec: { file, sha256: sha(text) },
    hosts: hosts.map((h, i) => ({ name: h, address: `127.9.0.${i + 1}`, factsDigest: sha(h) })),
    changes: [],
  });
  const out = join(dir, `${hosts.join('-')}.plan.json`);
  await savePlan(plan, out);
  return out;
}

describe('checkSavedAgainstSpec', () => {
  const plan = buildPlan({
    createdAt: '2026-11-22T08:00:00.000Z',
    spec: { file: '/c/a.yaml', sha256: 'a'.repeat(64) },
    hosts: [{ name: 'cp1', address: '1' }],
    changes: [],
  });
  it('accepts the spec it was made from', () => expect(checkSavedAgainstSpec(plan, { file: '/c/a.yaml', sha256: 'a'.repeat(64), hosts: ['cp1'] })).toEqual([]));
  it('names another spec as such', () => {
    expect(checkSavedAgainstSpec(plan, { file: '/c/b.yaml', sha256: 'b'.repeat(64), hosts: ['x1'] })).toEqual([
      'the plan was made at 2026-11-22T08:00:00.000Z from /c/a.yaml (sha256 aaaaaaaaaaaa), not from /c/b.yaml (sha256 bbbbbbbbbbbb): it is a plan for another spec (its hosts: cp1); apply it with -f /c/a.yaml, or run hactl plan -f /c/b.yaml again',
    ]);
  });
  it('names an older version of the same spec as such', () => {
    expect(checkSavedAgainstSpec(plan, { file: '/c/a.yaml', sha256: 'c'.repeat(64), hosts: ['cp1', 'w1'] })).toEqual([
      'the plan was made at 2026-11-22T08:00:00.000Z from /c/a.yaml (sha256 aaaaaaaaaaaa); /c/a.yaml has changed since (sha256 now cccccccccccc) (hosts then: cp1; now: cp1, w1): the plan is for an older spec; run hactl plan again',
    ]);
  });
});

describe('hactl apply refuses before contacting any host', () => {
  it('a saved plan for an older spec', async () => {
    const a = writeSpec('a.yaml', 'one', ['cp1', 'w1']);
    const planFile = await savedFor(a.file, a.text, ['cp1', 'w1']);
    writeFileSync(a.file, a.text + '# edited\n');
    const r = await runCommand(Apply, [planFile]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('the plan is for an older spec');
    expect(r.err).not.toMatch(/unreachable|ECONNREFUSED|lock/);
  });

  it('a saved plan for another spec', async () => {
    const a = writeSpec('a2.yaml', 'one', ['cp1', 'w1']);
    const b = writeSpec('b2.yaml', 'two', ['cpx', 'wx']);
    const planFile = await savedFor(a.file, a.text, ['cp1', 'w1']);
    const r = await runCommand(Apply, [planFile, '-f', b.file]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('it is a plan for another spec (its hosts: cp1, w1)');
    expect(r.err).not.toMatch(/unreachable|ECONNREFUSED|lock/);
  });

  it('a --target that names nothing, with "did you mean"', async () => {
    const a = writeSpec('t.yaml', 'one', ['cp1', 'w1']);
    const r = await runCommand(Apply, ['-f', a.file, '--target', 'containred@cp1']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('did you mean "containerd@cp1" for "containred@cp1"?');
    // No plan was made: nothing was observed.
    expect(r.out).toBe('');
    expect(r.err).not.toMatch(/unreachable|ECONNREFUSED|not observed/);
  });
});

describe('--target suggestions', () => {
  const graph = compile(specFixture('ha-haproxy.yaml'));
  it.each([
    ['containred@cp1', 'containerd@cp1'],
    ['os_prep', 'os-prep'],
    ['kube-pakages', 'kube-packages'],
  ])('%s: did you mean %s', (typo, meant) => {
    expect(() => selectTargets(graph, [typo])).toThrow(TargetError);
    expect(() => selectTargets(graph, [typo])).toThrow(`did you mean "${meant}" for "${typo}"?`);
  });
});

describe('apply --parallelism', () => {
  it("is a ceiling below the spec's ssh.parallelism too", () => {
    expect(applyParallelism(2, 32)).toEqual({ resources: 2, connections: 2, observe: 2 });
    expect(applyParallelism(undefined, 32)).toEqual({ resources: 10, connections: 32, observe: 32 });
    expect(applyParallelism(undefined, 4)).toEqual({ resources: 10, connections: 10, observe: 4 });
  });
});
