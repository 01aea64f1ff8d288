// A plan that observed nothing (or not everything) must not say "No changes": each unobserved
// host is said once, with why; the summary says the plan is incomplete in every view; the human
// view's errors go to stderr; a missing SSH key is caught before any host is dialled.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sshKeyProblems } from '../../src/cli/spec.js';
import Drift from '../../src/commands/drift.js';
import Plan from '../../src/commands/plan.js';
import { runCommand } from '../cli/run-command.js';
import { validatePlanDocument } from '../../src/plan/saved.js';
import { renderHuman, renderHumanErrors } from '../../src/views/human.js';
import { renderJson, renderMarkdown } from '../../src/views/index.js';
import { bareCluster, localFiles, planSpec, specFixture, specFromText, TEST_ENV } from '../resources/helpers.js';

const spec = specFixture('ha-haproxy.yaml');
const REASON = 'connect ECONNREFUSED';
const allDown = Object.fromEntries(spec.hosts.map((h) => [h.name, `${REASON} ${h.address}:22`]));

describe('a plan with no host observed', () => {
  const { plan } = planSpec(spec, bareCluster(spec, 'debian12'), { env: TEST_ENV, localFiles: localFiles(spec), unreachable: allDown });

  it('is marked incomplete in the model and the JSON view, which the plan schema accepts', () => {
    expect(plan.incomplete).toBe(
      `${spec.hosts.length} of ${spec.hosts.length} hosts were not observed (cp1, cp2, cp3, lb1, lb2, worker1): nothing is known or planned there`,
    );
    const json = JSON.parse(renderJson(plan)) as { incomplete?: string };
    expect(json.incomplete).toBe(plan.incomplete);
    expect(validatePlanDocument(json)).toEqual([]);
  });

  it('human: once per host why, no resources repeating it, no "No changes"; errors apart for stderr', () => {
    const inline = renderHuman(plan, { color: false });
    for (const h of spec.hosts) expect(inline.split(`${REASON} ${h.address}:22`).length - 1, h.name).toBe(1);
    expect(inline).not.toContain('No changes');
    expect(inline).toMatch(/Plan incomplete: 6 of 6 hosts were not observed .*The hosts observed need no changes\.\n$/);
    expect(inline.split('\n').length).toBeLessThan(40);

    const stdout = renderHuman(plan, { color: false, errors: 'separate' });
    const stderr = renderHumanErrors(plan, { color: false });
    expect(stdout).not.toContain('Error:');
    expect(stdout).not.toContain(REASON);
    expect(stdout).toContain('Plan incomplete:');
    for (const h of spec.hosts) expect(stderr.split(`${REASON} ${h.address}:22`).length - 1, h.name).toBe(1);
    expect(stderr.split('\n').filter((l) => l.startsWith('Error:'))).toHaveLength(spec.hosts.length);
  });

  it('markdown: incomplete, never "No changes", each host once', () => {
    const md = renderMarkdown(plan);
    expect(md).toContain('**Plan incomplete:** 6 of 6 hosts were not observed');
    expect(md).not.toContain('No changes');
    for (const h of spec.hosts) expect(md.split(`${REASON} ${h.address}:22`).length - 1, h.name).toBe(1);
  });
});

describe('a plan with some hosts observed', () => {
  it('still shows what it found on the others, and says it is incomplete', () => {
    const { plan } = planSpec(spec, bareCluster(spec, 'debian12'), {
      env: TEST_ENV,
      localFiles: localFiles(spec),
      unreachable: { cp2: `${REASON} 10.0.0.12:22` },
    });
    const out = renderHuman(plan, { color: false });
    expect(out).toMatch(/Plan incomplete: 1 of 6 hosts was not observed \(cp2\): nothing is known or planned there\. On the hosts observed: \d+ to add/);
    expect(out).not.toContain('Host cp2 (10.0.0.12)\n');
  });
});

describe('SSH key files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hactl-keys-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a missing privateKeyFile is one clear error naming the hosts that use it', async () => {
    const base = 'apiVersion: hactl.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: k\nkubernetes:\n  podSubnet: 10.128.0.0/11\n';
    const present = join(dir, 'id_ok');
    writeFileSync(present, 'key\n');
    const s = specFromText(
      `${base}ssh:\n  user: root\n  privateKeyFile: ${join(dir, 'id_missing')}\nhosts:\n  - { name: a, address: 10.0.0.1, roles: [control-plane] }\n  - { name: b, address: 10.0.0.2, roles: [worker] }\n  - { name: c, address: 10.0.0.3, roles: [worker], ssh: { privateKeyFile: ${present} } }\n`,
      join(dir, 'cluster.yaml'),
    );
    expect(await sshKeyProblems(s)).toEqual([`ssh.privateKeyFile ${join(dir, 'id_missing')}: no such file (the SSH key of a, b); no host was contacted`]);
  });

  it.each([
    ['plan', Plan],
    ['drift', Drift],
  ] as const)('hactl %s stops on it before dialling, exit 1', async (_name, cmd) => {
    const file = join(dir, 'nokey.yaml');
    // 127.0.0.1 port 1: were it dialled, the error would be a refused connection, not the key.
    writeFileSync(
      file,
      `apiVersion: hactl.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: k\nprofile: test\nssh:\n  port: 1\n  privateKeyFile: ${join(dir, 'id_missing')}\n  knownHostsFile: ${join(dir, 'kh')}\nhosts:\n  - { name: a, address: 127.0.0.1, roles: [control-plane, worker] }\n`,
    );
    writeFileSync(join(dir, 'kh'), '');
    const r = await runCommand(cmd, ['-f', file]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`ssh.privateKeyFile ${join(dir, 'id_missing')}: no such file (the SSH key of a); no host was contacted`);
    expect(r.err + r.out).not.toMatch(/ECONNREFUSED|unreachable|not observed/);
  });
});
