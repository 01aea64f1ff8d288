// Whether each host that left the spec but is still in the cluster answers: one read-only `true`
// over SSH at the address the cluster records, so that the plan can say which of them are lost and
// what is done without them. Nothing else is run there. The targets come from the caller, which
// takes them from the cluster's own records (src/resources/host-removal.ts).

import type { HostPool } from '../transport/pool.js';
import type { HostTarget } from '../transport/ssh.js';
import { observation } from '../transport/transport.js';

/** The hosts that did not answer, with the reason. */
export async function unansweredHosts(targets: readonly { name: string; target: HostTarget }[], pool: HostPool): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  await Promise.all(
    targets.map(async ({ name, target }) => {
      try {
        const res = await pool.observe(target, (o) => o.observe(observation('reachable', 'true', 10_000)));
        if (res.code !== 0) out.set(name, `exit ${res.code}`);
      } catch (e) {
        out.set(name, e instanceof Error ? e.message : String(e));
      }
    }),
  );
  return out;
}
