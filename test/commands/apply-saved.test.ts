import { createHash } from 'node:crypto';
// `hactl apply plan.json` shows the saved plan as `hactl show` renders it before anything runs.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import Apply from '../../src/commands/apply.js';
import Show from '../../src/commands/show.js';
import { savePlan } from '../../src/plan/saved.js';
import { bareCluster, planSpec, specFromText } from '../resources/helpers.js';
import { closedPort } from '../transport/ssh-server.js';
import { runCommand } from '../cli/run-command.js';

const dir = mkdtempSync(join(tmpdir(), 'hactl-apply-saved-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hactl apply plan.json', () => {
  it('prints the plan as hactl show does, then goes on (here: the host cannot be reached, exit 1)', async () => {
    const port = await closedPort();
    const specFile = join(dir, 'cluster.yaml');
    const text = [
      'apiVersion: hactl.io/v1alpha1',
      'kind: Cluster',
      'metadata: { name: saved }',
      'profile: test',
      `ssh: { user: root, connectTimeoutSeconds: 2, knownHostsFile: ${join(dir, 'known_hosts')} }`,
      'hosts:',
      `  - { name: cp1, address: 127.0.0.1, roles: [control-plane, worker], ssh: { port: ${port} } }`,
      '',
    ].join('\n');
    writeFileSync(specFile, text);
    writeFileSync(join(dir, 'known_hosts'), '');
    const spec = specFromText(text, specFile);
    const { plan } = planSpec(spec, bareCluster(spec, 'debian12'));
    const planFile = join(dir, 'plan.json');
    // Made from this very file, so apply's check of the spec passes and it goes on to the hosts.
    await savePlan({ ...plan, spec: { file: specFile, sha256: createHash('sha256').update(text).digest('hex') } }, planFile);

    const shown = await runCommand(Show, [planFile]);
    expect(shown.code).toBe(0);
    expect(shown.out).toMatch(/containerd@cp1/);
    const r = await runCommand(Apply, [planFile, '--log-dir', join(dir, 'logs')]);
    expect(r.out.startsWith(shown.out), `${r.out}\n---\n${r.err}`).toBe(true);
    expect(r.code).toBe(1);
  }, 30_000);
});
