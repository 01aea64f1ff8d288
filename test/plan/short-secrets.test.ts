// Secrets are masked where they enter rendered values (the file fields that hold them), never by
// searching the plan's text: a short secret, a common word or a word that occurs in paths must
// neither show through its context nor blow the plan up.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderPlan } from '../../src/views/index.js';
import { applyPlan, bareCluster, localFiles, planSpec, specFixture, specFromText, TEST_ENV } from '../resources/helpers.js';

const spec = specFixture('ha-haproxy.yaml');
const authText = readFileSync(new URL('../fixtures/resources/ha-haproxy.yaml', import.meta.url), 'utf8').replace(
  '      caFile: files/harbor-ca.crt\n',
  '      caFile: files/harbor-ca.crt\n      usernameEnv: HACTL_TEST_REG_USER\n      passwordEnv: HACTL_TEST_REG_PASS\n',
);
const withAuth = specFromText(authText, fileURLToPath(new URL('../fixtures/resources/auth.yaml', import.meta.url)));

describe.each(['a', 'e', 'kube', 'admin', 'etc', 'hactl'])('secret %j', (secret) => {
  const env = { ...TEST_ENV, HACTL_TEST_VRRP: secret, HACTL_TEST_REG_PASS: secret };
  const baseline = planSpec(withAuth, bareCluster(withAuth, 'debian12'), { env: TEST_ENV, localFiles: localFiles(withAuth) }).plan;
  const { plan } = planSpec(withAuth, bareCluster(withAuth, 'debian12'), { env, localFiles: localFiles(withAuth) });

  it('leaves paths, steps and diffs as they are, apart from the field that holds it', () => {
    const json = JSON.stringify(plan);
    // Paths hactl writes are spelled out whole: no mask inside a word.
    expect(json).not.toMatch(/[A-Za-z/]\(sensitive value\)|\(sensitive value\)[A-Za-z]/);
    expect(json).toContain('/etc/kubernetes/admin.conf');
    // The plan is the same as with a long secret, byte for byte but the masked field's mode is equal.
    expect(JSON.stringify(plan.changes.map((c) => c.steps))).toBe(JSON.stringify(baseline.changes.map((c) => c.steps)));
    expect(json.length).toBeLessThan(JSON.stringify(baseline).length * 1.01);
    const f = plan.changes.find((c) => c.id === 'containerd@cp1')!.files.find((x) => x.path === '/etc/containerd/config.toml')!;
    expect(f.diff).toContain('+  password = "(sensitive value)"');
    for (const format of ['human', 'json', 'markdown'] as const) {
      const out = renderPlan(plan, format);
      expect(out).not.toMatch(/[A-Za-z/]\(sensitive value\)|\(sensitive value\)[A-Za-z]/);
    }
  });
});

describe('a one-character VRRP password on a converged cluster', () => {
  it('does not grow the plan', () => {
    const facts = bareCluster(spec, 'debian12');
    const first = planSpec(spec, facts, { env: { ...TEST_ENV, HACTL_TEST_VRRP: 'e' }, localFiles: localFiles(spec) });
    const converged = applyPlan(spec, facts, first);
    const again = planSpec(spec, converged, { env: { ...TEST_ENV, HACTL_TEST_VRRP: 'e' }, localFiles: localFiles(spec) }).plan;
    const long = planSpec(spec, converged, { env: { ...TEST_ENV, HACTL_TEST_VRRP: 'Vr9.pw-long' }, localFiles: localFiles(spec) }).plan;
    expect(JSON.stringify(again).length).toBeLessThanOrEqual(JSON.stringify(long).length * 1.01);
    expect(JSON.stringify(again)).not.toContain('(sensitive value)');
  });
});
