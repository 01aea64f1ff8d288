// Stacked etcd's members and health, for the status view of `drift --listen` (src/drift/status.ts):
// the same read-only etcdctl command as external etcd's membership facts (etcd.ts), run on a
// control-plane host as kubeadm's health-check client (src/etcd/etcdctl.ts), against the local
// member. The plan does not need it (kubeadm manages stacked members), so only `drift --listen` asks.

import { etcdFactsCommand, parseEtcdFacts } from './etcd.js';
import type { EtcdFactsResult } from './cluster.js';
import type { HostFacts } from './types.js';
import { KUBE_PKI, STACKED_ETCDCTL } from './etcdctl.js';
import type { HostPool } from '../transport/pool.js';
import type { HostTarget } from '../transport/ssh.js';
import { observation } from '../transport/transport.js';

export const STACKED_ETCD_FACTS_COMMAND = etcdFactsCommand(STACKED_ETCDCTL);

/** The control-plane hosts whose facts show kubeadm's etcd health-check client certificate. */
export function stackedEtcdHosts(controlPlane: readonly string[], facts: ReadonlyMap<string, HostFacts>): string[] {
  return controlPlane.filter((h) => facts.get(h)?.certificates.some((c) => c.path === `${KUBE_PKI}/etcd/healthcheck-client.crt`) === true);
}

/**
 * Members and health as the first control-plane host (spec order) that answers reports them;
 * undefined when no host has a member yet (nothing to report, not a failure).
 */
export async function gatherEtcdStacked(
  controlPlane: readonly HostTarget[],
  facts: ReadonlyMap<string, HostFacts>,
  pool: HostPool,
): Promise<EtcdFactsResult | undefined> {
  const ask = stackedEtcdHosts(
    controlPlane.map((h) => h.name),
    facts,
  );
  if (ask.length === 0) return undefined;
  const failed: string[] = [];
  for (const name of ask) {
    const host = controlPlane.find((h) => h.name === name)!;
    try {
      const r = await pool.observe(host, (o) => o.observe(observation('etcd-status', STACKED_ETCD_FACTS_COMMAND, 30_000)));
      if (r.code === 0) return { ok: true, facts: parseEtcdFacts(r.stdout, host.name) };
      failed.push(
        `${name}: etcdctl exited ${r.code}: ${r.stderr
          .trim()
          .split('\n')
          .filter((l) => !l.trim().startsWith('{"level"'))
          .slice(-1)
          .join('')}`,
      );
    } catch (e) {
      failed.push(`${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { ok: false, reason: `no etcd member answered (${failed.join('; ')})` };
}
