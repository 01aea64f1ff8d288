// Certificate renewal on the shared converged ha-stacked cluster (support/cluster.ts). The lab's
// hosts cannot move their clocks, so a certificate is made short instead: cp2's apiserver.crt is
// re-signed by hand with the cluster CA for 10 days (same key, same names). The plan must show
// exactly certificate-renewal@cp2 with its days left, apply must renew it behind the /readyz gate,
// and the next plan must be empty.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus } from './support/cli.js';
import { acting, ADMIN, convergedCluster, LAB_SPEC, ssh, VIP, type Cluster } from './support/cluster.js';

const log = (m: string): void => console.error(`cert-renewal e2e: ${m}`);
const PKI = '/etc/kubernetes/pki';

/** Re-signs apiserver.crt for `days` with the cluster CA, keeping its key and extensions (OpenSSL 3). */
const SHORTEN = (days: number) =>
  [
    `cd ${PKI}`,
    'req=$(mktemp)',
    'openssl x509 -x509toreq -in apiserver.crt -signkey apiserver.key -copy_extensions copyall -out "$req" 2>/dev/null',
    `openssl x509 -req -in "$req" -CA ca.crt -CAkey ca.key -CAcreateserial -days ${days} -copy_extensions copyall -out apiserver.crt.new 2>/dev/null`,
    'rm -f -- "$req"',
    'mv -f apiserver.crt.new apiserver.crt',
  ].join(' && ');

const daysLeft = async (host: string): Promise<number> => {
  const end = (await ssh(host, `openssl x509 -noout -enddate -in ${PKI}/apiserver.crt`)).trim().replace(/^notAfter=/, '');
  return Math.floor((Date.parse(end) - Date.now()) / 86_400_000);
};

let cluster: Cluster;

beforeAll(async () => {
  cluster = await convergedCluster(log);
}, 1_800_000);

afterAll(() => cluster?.remove());

describe('certificate renewal on a converged ha-stacked cluster', () => {
  it('a certificate re-signed for 10 days on cp2: the plan renews exactly cp2, showing the days left', async () => {
    const sansBefore = await ssh('cp2', `openssl x509 -noout -ext subjectAltName -in ${PKI}/apiserver.crt`);
    await ssh('cp2', SHORTEN(10));
    expect(await daysLeft('cp2')).toBeLessThanOrEqual(10);
    // The names the apiserver answers to are kept.
    expect(await ssh('cp2', `openssl x509 -noout -ext subjectAltName -in ${PKI}/apiserver.crt`)).toBe(sansBefore);

    const { plan, run } = cluster.planJson();
    expect(run.status).toBe(2);
    expect(acting(plan).map((c) => c.id)).toEqual(['certificate-renewal@cp2']);
    const change = acting(plan)[0]!;
    expect(change.action).toBe('update');
    // Plan JSON values are wrapped: { value } (or { sensitive: true }).
    const attr = change.attributes.find((a) => a.name === 'certificate.apiserver.crt.daysLeft') as { before: { value: number }; after: { value: number } };
    expect(attr.before.value).toBeLessThanOrEqual(10);
    expect(attr.after.value).toBe(365);
    expect(change.steps.join('\n')).toMatch(/kubeadm certs renew all: 1 certificate\(s\) with fewer than 30 days left/);
  }, 300_000);

  it('apply renews it behind the /readyz gate; the next plan is empty and the API answers through the VIP', async () => {
    const apply = cluster.hactl('apply', '-f', LAB_SPEC, '--auto-approve');
    log(`apply renewing cp2's certificates: ${(apply.ms / 1000).toFixed(1)} s`);
    expectStatus(apply, 0);
    expect(apply.stdout).toMatch(/: certificate-renewal@cp2: done/);
    expect(await daysLeft('cp2')).toBeGreaterThanOrEqual(364);
    expectStatus(cluster.hactl('plan', '-f', LAB_SPEC, '--detailed-exitcode'), 0);
    const nodes = await ssh('cp1', `${ADMIN} --server https://${VIP}:6443 get nodes --no-headers`);
    expect(nodes.trim().split('\n')).toHaveLength(5);
  }, 900_000);
});
