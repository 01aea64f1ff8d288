// Facts for many hosts: one probe per host, in parallel under the pool's cap. A host that cannot
// be observed is reported with its reason and never hides the others.
import type { HostPool } from '../transport/pool.js';
import type { HostTarget } from '../transport/ssh.js';
import { HostUnreachableError } from '../transport/transport.js';
import { defaultFactRequest } from './default-request.js';
import { parseProbeOutput } from './parse.js';
import { probeObservation } from './probe.js';
import type { FactRequest, HostFacts } from './types.js';

export type FactsResult =
  | {
      host: string;
      ok: true;
      facts: HostFacts;
      /** Local clock minus the host's, in seconds (positive: the host is behind). */
      clockSkewSeconds: number;
      durationMs: number;
    }
  | { host: string; ok: false; reason: string; error: Error; durationMs: number };

export async function gatherHostFacts(host: HostTarget, pool: HostPool, req: FactRequest = defaultFactRequest()): Promise<FactsResult> {
  const started = Date.now();
  const obs = probeObservation(req);
  try {
    const r = await pool.observe(host, (o) => o.observe(obs));
    const facts = parseProbeOutput(r.stdoutBytes ?? r.stdout, req);
    const skew = Date.now() / 1000 - r.durationMs / 2000 - facts.clockEpochSeconds;
    return { host: host.name, ok: true, facts, clockSkewSeconds: Math.round(skew), durationMs: Date.now() - started };
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    const reason =
      error instanceof HostUnreachableError
        ? error.reason
        : error.message.startsWith(`${host.name}: `)
          ? error.message.slice(host.name.length + 2)
          : error.message;
    return { host: host.name, ok: false, reason, error, durationMs: Date.now() - started };
  }
}

/** Results in the order of `hosts`. */
export function gatherFacts(hosts: HostTarget[], pool: HostPool, req: FactRequest = defaultFactRequest()): Promise<FactsResult[]> {
  return Promise.all(hosts.map((h) => gatherHostFacts(h, pool, req)));
}
