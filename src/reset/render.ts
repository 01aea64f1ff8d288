// What `hactl reset` shows: the plan before it asks, and what happened after.

import type { ResetPlan } from './plan.js';
import type { HostOutcome, Unreachable } from './run.js';

const PHASE_TITLE = {
  workers: 'Workers, in parallel',
  'control-plane': 'Control-plane hosts, one at a time (the first one last)',
  infrastructure: 'External etcd and load-balancer hosts',
} as const;

export function renderResetPlan(plan: ResetPlan, unreachable: Unreachable): string {
  const L: string[] = [`hactl reset will tear down cluster '${plan.cluster}'. On each host, in this order:`];
  for (const phase of ['workers', 'control-plane', 'infrastructure'] as const) {
    const hosts = plan.hosts.filter((r) => r.phase === phase);
    if (hosts.length === 0) continue;
    L.push('', `${PHASE_TITLE[phase]}:`);
    for (const r of hosts) {
      const why = unreachable.get(r.host.name);
      L.push(`  ${r.host.name} (${r.host.address}; ${r.roles.join('; ')})${why !== undefined ? `: UNREACHABLE (${why}), will be skipped` : ''}`);
      for (const op of r.operations) L.push(`    - ${op.description}`);
    }
  }
  L.push('', `Kept: ${plan.kept.join('; ')}.`);
  const down = plan.hosts.filter((r) => unreachable.has(r.host.name)).map((r) => r.host.name);
  const total = plan.hosts.length;
  L.push(
    '',
    `Reset: ${total - down.length} of ${total} hosts${down.length > 0 ? `; ${down.length} cannot be reached now (${down.join(', ')}) and will keep their cluster state` : ''}.`,
  );
  return L.join('\n');
}

export function renderResetOutcome(outcomes: readonly HostOutcome[]): string {
  const L: string[] = [];
  for (const o of outcomes) {
    if (o.status === 'reset') L.push(`  ${o.host}: reset (${o.steps} steps)`);
    else if (o.status === 'failed') L.push(`  ${o.host}: FAILED at "${o.step}" after ${o.steps} step(s): ${o.error}`);
    else if (o.status === 'unreachable') L.push(`  ${o.host}: NOT RESET, unreachable: ${o.error}`);
    else L.push(`  ${o.host}: cancelled before it started`);
  }
  const count = (s: HostOutcome['status']) => outcomes.filter((o) => o.status === s).length;
  const problems = outcomes.length - count('reset');
  L.push(
    '',
    problems === 0
      ? `Reset complete: ${outcomes.length} host(s) reset.`
      : `Reset incomplete: ${count('reset')} reset, ${count('failed')} failed, ${count('unreachable')} unreachable, ${count('cancelled')} cancelled. Run hactl reset again once they can be reached: every step can run again.`,
  );
  return L.join('\n');
}
