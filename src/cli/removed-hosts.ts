// Whether each host that left the spec but is still in the cluster answers: one read-only `true`
// over SSH at the address the cluster records (src/resources/host-removal.ts), so that the plan
// can say which of them are lost and what is done without them. Nothing else is run there.

import { removedHosts, removedHostTarget } from '../resources/host-removal.js';
import type { ClusterSpec } from '../spec/types.js';
import type { HostPool } from '../transport/pool.js';
import { observation } from '../transport/transport.js';
import type { ClusterFacts } from '../facts/cluster.js';

/** The removed hosts that did not answer, with the reason. */
export async function unreachableRemovedHosts(spec: ClusterSpec, clusterFacts: ClusterFacts, pool: HostPool): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  await Promise.all(
    removedHosts(spec, clusterFacts).removed.map(async (r) => {
      try {
        const res = await pool.observe(removedHostTarget(spec, r.name, r.address), (o) => o.observe(observation('reachable', 'true', 10_000)));
        if (res.code !== 0) out.set(r.name, `exit ${res.code}`);
      } catch (e) {
        out.set(r.name, e instanceof Error ? e.message : String(e));
      }
    }),
  );
  return out;
}
