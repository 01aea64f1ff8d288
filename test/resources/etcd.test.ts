// External etcd membership as data: host facts and the membership a member reports in, actions,
// steps, commands and the environment file out. The cluster is converged by playing the plan's
// own operations onto bare facts, so "converging twice changes nothing" is checked on what apply
// would really leave.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { EtcdFactsResult } from '../../src/facts/cluster.js';
import type { EtcdMember } from '../../src/facts/etcd.js';
import type { HostFacts } from '../../src/facts/types.js';
import type { DetailedPlan } from '../../src/plan/planner.js';
import type { CommandOperation } from '../../src/resources/operation.js';
import { initialClusterIn, memberAddCommand, memberRemoveCommand } from '../../src/resources/etcd.js';
import type { ClusterSpec } from '../../src/spec/types.js';
import { applyOperations, applyPlan, bareCluster, bareFacts, FIXTURES, planSpec, specFromText } from './helpers.js';

const BASE = readFileSync(`${FIXTURES}kubernetes/external-etcd.yaml`, 'utf8');
const ETCD3_LINE = '  - { name: etcd3, address: 10.0.0.33, roles: [etcd] }\n';
const extra = (n: number) => `  - { name: etcd${n}, address: 10.0.0.3${n}, roles: [etcd] }\n`;
/** The fixture's spec with etcd hosts added after etcd3, or etcd3 left out. */
const specWith = (opts: { add?: number[]; without3?: boolean } = {}): ClusterSpec =>
  specFromText(BASE.replace(ETCD3_LINE, (opts.without3 ? '' : ETCD3_LINE) + (opts.add ?? []).map(extra).join('')), `${FIXTURES}kubernetes/external-etcd.yaml`);

const member = (n: number, over: Partial<EtcdMember> = {}): EtcdMember => ({
  id: `${n}0000000000000a`,
  name: `etcd${n}`,
  peerURLs: [`https://10.0.0.3${n}:2380`],
  clientURLs: [`https://10.0.0.3${n}:2379`],
  started: true,
  healthy: true,
  leader: n === 1,
  ...over,
});
const membership = (members: EtcdMember[], observedFrom = 'etcd1'): EtcdFactsResult => ({ ok: true, facts: { observedFrom, clusterId: 'c0ffee', members } });
const nobody: EtcdFactsResult = { ok: false, reason: 'no etcd member answered (etcd1: etcd not running)' };

/** etcd1..3 bootstrapped by hactl (the plan's operations played onto bare hosts). */
function runningCluster(): Map<string, HostFacts> {
  const spec = specWith();
  const bare = bareCluster(spec, 'debian12');
  return applyPlan(spec, bare, planSpec(spec, bare, { etcd: nobody }));
}

/** `cluster` plus bare facts for the hosts of `spec` it lacks. */
function withNewHosts(spec: ClusterSpec, cluster: Map<string, HostFacts>): Map<string, HostFacts> {
  const out = new Map(cluster);
  for (const h of spec.hosts) if (!out.has(h.name)) out.set(h.name, bareFacts('debian12', h.address));
  return out;
}

const change = (p: DetailedPlan, id: string) => p.plan.changes.find((c) => c.id === id)!;
const commands = (p: DetailedPlan, id: string) => (p.operations.get(id) ?? []).filter((o): o is CommandOperation => 'command' in o);
const written = (p: DetailedPlan, id: string) => {
  const w = (p.operations.get(id) ?? []).find((o) => 'writeFile' in o);
  return w !== undefined && 'writeFile' in w ? w.writeFile.content : undefined;
};
const acting = (p: DetailedPlan) => p.plan.changes.filter((c) => c.action !== 'no-op' && c.action !== 'read').map((c) => c.id);
const errors = (p: DetailedPlan) => p.plan.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);

describe('etcd membership', () => {
  it('a bare cluster nobody has started bootstraps as new with every spec member; converged, nothing is planned', () => {
    const spec = specWith();
    const bare = bareCluster(spec, 'debian12');
    const first = planSpec(spec, bare, { etcd: nobody });
    for (const h of ['etcd1', 'etcd2', 'etcd3']) {
      expect(change(first, `etcd@${h}`).action).toBe('create');
      expect(initialClusterIn(written(first, `etcd@${h}`)!)).toEqual({
        state: 'new',
        cluster: 'etcd1=https://10.0.0.31:2380,etcd2=https://10.0.0.32:2380,etcd3=https://10.0.0.33:2380',
      });
    }
    expect(first.plan.cluster?.etcd).toEqual({ members: [], unknown: nobody.ok ? undefined : nobody.reason });
    // Converged, and now the members answer: no file rewritten, nobody restarted.
    const after = planSpec(spec, runningCluster(), { etcd: membership([member(1), member(2), member(3)]) });
    for (const h of ['etcd1', 'etcd2', 'etcd3']) expect(change(after, `etcd@${h}`).action).toBe('no-op');
    expect(errors(after)).toEqual([]);
  });

  it('the plan shows the members and their health', () => {
    const p = planSpec(specWith(), runningCluster(), {
      etcd: membership([member(1), member(2, { healthy: false, error: 'context deadline exceeded' }), member(3)]),
    });
    expect(p.plan.cluster?.etcd).toEqual({
      observedFrom: 'etcd1',
      members: [
        { name: 'etcd1', id: '10000000000000a', peerURLs: ['https://10.0.0.31:2380'], started: true, healthy: true, leader: true },
        {
          name: 'etcd2',
          id: '20000000000000a',
          peerURLs: ['https://10.0.0.32:2380'],
          started: true,
          healthy: false,
          leader: false,
          error: 'context deadline exceeded',
        },
        { name: 'etcd3', id: '30000000000000a', peerURLs: ['https://10.0.0.33:2380'], started: true, healthy: true, leader: false },
      ],
    });
  });

  it('etcd stopped on one member: only its start is planned, its file stays', () => {
    const facts = runningCluster();
    const etcd2 = structuredClone(facts.get('etcd2')!);
    etcd2.units.etcd = { exists: true, enabled: true, active: false };
    facts.set('etcd2', etcd2);
    const p = planSpec(specWith(), facts, { etcd: membership([member(1), member(2, { healthy: false, error: 'connection refused' }), member(3)]) });
    expect(acting(p)).toEqual(['etcd@etcd2']);
    expect(change(p, 'etcd@etcd2').steps).toEqual(['start etcd (not running)']);
    expect(change(p, 'etcd@etcd2').files.every((f) => f.action === 'no-op')).toBe(true);
  });

  it('new etcd hosts on a running cluster: member add on a healthy member, then state existing with the current members plus itself', () => {
    const spec = specWith({ add: [4, 5] });
    const facts = withNewHosts(spec, runningCluster());
    const running = membership([member(1), member(2), member(3)], 'etcd3');
    const p = planSpec(spec, facts, { etcd: running });
    const c = change(p, 'etcd@etcd4');
    expect(c.action).toBe('create');
    expect(c.attributes.find((a) => a.name === 'etcd.member')).toMatchObject({ before: { value: false }, after: { value: true } });
    expect(c.steps.filter((s) => /etcd member|start etcd|install them/.test(s))).toEqual([
      'install them as /etc/etcd/pki/ca.crt, server.crt, server.key (0600, etcd)',
      'on etcd3: add etcd4 (https://10.0.0.34:2380) as an etcd member (etcdctl member add, one member at a time, in spec order)',
      'start etcd (not running, /etc/default/etcd changed, new certificates)',
    ]);
    const add = commands(p, 'etcd@etcd4').find((o) => o.command.includes('member add'))!;
    // On the member that answered.
    expect(add.runOn).toBe('etcd3');
    expect(add.command).toContain('member add etcd4 --peer-urls=https://10.0.0.34:2380 ');
    expect(initialClusterIn(written(p, 'etcd@etcd4')!)).toEqual({
      state: 'existing',
      cluster: 'etcd1=https://10.0.0.31:2380,etcd2=https://10.0.0.32:2380,etcd3=https://10.0.0.33:2380,etcd4=https://10.0.0.34:2380',
    });
    // The other members' files keep their first-start settings: nobody else changes.
    expect(acting(p).filter((id) => id.startsWith('etcd@'))).toEqual(['etcd@etcd4', 'etcd@etcd5']);

    // Applied, and etcd4 and etcd5 have started: converging again changes nothing.
    const again = planSpec(spec, applyPlan(spec, facts, p), { etcd: membership([1, 2, 3, 4, 5].map((n) => member(n))) });
    expect(acting(again)).toEqual([]);
  });

  it('two new hosts: one at a time, the second after the first, each initial cluster with the members before it', () => {
    const spec = specWith({ add: [4, 5] });
    const p = planSpec(spec, withNewHosts(spec, runningCluster()), { etcd: membership([member(1), member(2), member(3)]) });
    const add5 = commands(p, 'etcd@etcd5').find((o) => o.command.includes('member add'))!;
    expect(add5.description).toBe('on etcd1: add etcd5 (https://10.0.0.35:2380) as an etcd member (etcdctl member add, one member at a time, in spec order)');
    expect(add5.command).toContain("grep -qF -- ', https://10.0.0.34:2380'");
    expect(initialClusterIn(written(p, 'etcd@etcd5')!)?.cluster).toBe(
      'etcd1=https://10.0.0.31:2380,etcd2=https://10.0.0.32:2380,etcd3=https://10.0.0.33:2380,etcd4=https://10.0.0.34:2380,etcd5=https://10.0.0.35:2380',
    );
    expect(initialClusterIn(written(p, 'etcd@etcd4')!)?.cluster).not.toContain('etcd5');
  });

  it('adding is refused when the cluster could not take it, and the old data of a former member is moved aside first', () => {
    const spec = specWith({ add: [4, 5] });
    const facts = withNewHosts(spec, runningCluster());
    const sick = planSpec(spec, facts, { etcd: membership([member(1), member(2, { healthy: false }), member(3, { healthy: false })]) });
    expect(errors(sick)).toEqual([
      'etcd member etcd4 cannot be added: with it the cluster has 4 members and needs 3 healthy, but only 1 are; repair the unhealthy members first',
      'etcd member etcd5 cannot be added: with it the cluster has 5 members and needs 3 healthy, but only 2 are; repair the unhealthy members first',
    ]);
    expect(commands(sick, 'etcd@etcd4').some((o) => o.command.includes('member add'))).toBe(false);

    const old = structuredClone(facts.get('etcd4')!);
    old.files['/var/lib/etcd/hactl/member'] = { exists: true, type: 'directory' };
    old.packages['etcd-server'] = { installed: true, version: '3.4.23-4+b4', held: false };
    old.units.etcd = { exists: true, enabled: true, active: true };
    const p = planSpec(spec, new Map(facts).set('etcd4', old), { etcd: membership([member(1), member(2), member(3)]) });
    const steps = change(p, 'etcd@etcd4').steps;
    const aside = steps.findIndex((s) => s.startsWith('stop etcd and move its old data aside'));
    const add = steps.findIndex((s) => s.includes('etcdctl member add'));
    const start = steps.findIndex((s) => s.startsWith('start etcd'));
    expect(aside).toBeGreaterThanOrEqual(0);
    expect(aside < add && add < start).toBe(true);
  });

  it('a member whose host left the spec is removed from the first healthy member, after the additions', () => {
    const spec = specWith({ without3: true, add: [4] });
    const facts = withNewHosts(spec, runningCluster());
    facts.delete('etcd3');
    const p = planSpec(spec, facts, { etcd: membership([member(1), member(2), member(3)]) });
    const c = change(p, 'etcd@etcd1');
    expect(c.action).toBe('update');
    expect(c.attributes.filter((a) => a.changed).map((a) => a.name)).toEqual(['etcd.member.etcd3']);
    expect(c.steps).toEqual(['remove etcd member etcd3 (30000000000000a) (etcdctl member remove, after the members joining have started)']);
    const remove = commands(p, 'etcd@etcd1')[0]!;
    expect(remove.runOn).toBeUndefined();
    expect(remove.command).toBe(memberRemoveCommand('30000000000000a', ['https://10.0.0.34:2380']));
    // Removed, with etcd4 in: nothing left to do.
    const again = planSpec(spec, applyPlan(spec, facts, p), { etcd: membership([member(1), member(2), member(4)]) });
    expect(acting(again)).toEqual([]);
  });

  it('a lost member replaced by a new host: the dead member is removed at once (it cannot vote for the addition), then the new one added', () => {
    const spec = specWith({ without3: true, add: [4] });
    const facts = withNewHosts(spec, runningCluster());
    facts.delete('etcd3');
    const p = planSpec(spec, facts, { etcd: membership([member(1), member(2), member(3, { healthy: false })]) });
    expect(errors(p)).toEqual([]);
    expect(change(p, 'etcd@etcd1').steps).toEqual([
      'remove etcd member etcd3 (30000000000000a), which is down (etcdctl member remove, before the members joining are added)',
    ]);
    expect(commands(p, 'etcd@etcd1')[0]!.command).toBe(memberRemoveCommand('30000000000000a', []));
    const add = commands(p, 'etcd@etcd4').find((o) => o.command.includes('member add'))!;
    expect(add.runOn).toBe('etcd1');
    // Its first start names the live members and itself, not the dead one.
    expect(written(p, 'etcd@etcd4')).toContain('ETCD_INITIAL_CLUSTER="etcd1=https://10.0.0.31:2380,etcd2=https://10.0.0.32:2380,etcd4=https://10.0.0.34:2380"');
  });

  it('a member host reinstalled under its name and address: its old member removed, then added afresh; refused without quorum', () => {
    const spec = specWith();
    const facts = new Map(runningCluster()).set('etcd3', bareFacts('debian12', '10.0.0.33'));
    const p = planSpec(spec, facts, { etcd: membership([member(1), member(2), member(3, { healthy: false })]) });
    expect(errors(p)).toEqual([]);
    const steps = change(p, 'etcd@etcd3').steps;
    const remove = steps.findIndex((x) => x.startsWith('on etcd1: remove the old etcd member etcd3 (30000000000000a): etcd3 has no etcd data'));
    const add = steps.findIndex((x) => x.startsWith('on etcd1: add etcd3 (https://10.0.0.33:2380) as an etcd member'));
    const start = steps.findIndex((x) => x.startsWith('start etcd'));
    expect(remove).toBeGreaterThanOrEqual(0);
    expect(remove < add && add < start).toBe(true);
    expect(commands(p, 'etcd@etcd3').find((o) => o.command.includes('member remove'))!.command).toBe(memberRemoveCommand('30000000000000a', []));
    expect(written(p, 'etcd@etcd3')).toContain('ETCD_INITIAL_CLUSTER_STATE="existing"');

    const noQuorum = planSpec(spec, facts, { etcd: membership([member(1), member(2, { healthy: false }), member(3, { healthy: false })]) });
    expect(errors(noQuorum)).toEqual([
      'etcd member etcd3 cannot be added: with it the cluster has 3 members and needs 2 healthy, but only 1 are; repair the unhealthy members first',
    ]);
  });

  it('a removal that would cost quorum, or with no healthy member to run it, is refused with the reason', () => {
    const spec = specWith();
    const facts = runningCluster();
    // Five members, etcd2 and etcd3 down: removing etcd4 leaves 2 healthy of 4, quorum 3.
    const five = membership([member(1), member(2, { healthy: false }), member(3, { healthy: false }), member(4), member(5)]);
    expect(errors(planSpec(spec, facts, { etcd: five }))).toEqual([
      'etcd member etcd4 (40000000000000a) is no longer in the spec but cannot be removed: without it 2 of 4 members would be healthy, and 3 are needed for quorum; repair the unhealthy members first',
      'etcd member etcd5 (50000000000000a) is no longer in the spec but cannot be removed: without it 2 of 4 members would be healthy, and 3 are needed for quorum; repair the unhealthy members first',
    ]);
    // The old members are all gone from the spec: never the last one, and nobody healthy to run it from.
    const strangers = membership([member(7)], 'etcd1');
    const p = planSpec(spec, facts, { etcd: strangers });
    expect(errors(p)).toContain(
      "etcd member etcd7 (70000000000000a) is no longer in the spec but cannot be removed: no member of the spec's etcd hosts is healthy to remove it from",
    );
    expect(commands(p, 'etcd@etcd1').some((o) => o.command.includes('member remove'))).toBe(false);
  });

  it('membership unknown while the cluster runs: a host without data (new or reinstalled) is not planned, and the plan refuses with the reason', () => {
    const spec = specWith({ add: [4, 5] });
    const facts = withNewHosts(spec, runningCluster());
    const etcd1 = structuredClone(facts.get('etcd1')!);
    etcd1.units.etcd = { exists: true, enabled: true, active: false };
    facts.set('etcd1', etcd1);
    const p = planSpec(spec, facts, { etcd: nobody });
    const c = change(p, 'etcd@etcd4');
    expect(c.action).toBe('read');
    const why = nobody.ok ? '' : nobody.reason;
    expect(c.reason).toBe(`etcd membership is unknown (${why}): etcd4 can only be added to the running cluster through a quorum`);
    expect(errors(p)).toContain(
      `etcd member etcd4 cannot be added: etcd's membership is unknown (${why}), and etcd4 has no etcd data while the cluster runs; start the members that are down so that etcd has a quorum again (or restore it from a snapshot: hactl etcd restore), then plan again`,
    );
    expect(p.operations.get('etcd@etcd4')).toBeUndefined();
    // Members with data are started as they are.
    expect(change(p, 'etcd@etcd1').steps).toEqual(['start etcd (not running)']);
    expect(p.plan.diagnostics.filter((d) => d.severity === 'warning' && d.resource === 'etcd@etcd1').map((d) => d.message)).toEqual([
      `etcd membership is unknown: ${nobody.ok ? '' : nobody.reason}; members with data are started, no member is added or removed`,
    ]);
  });

  it('a bootstrap in progress (a member started with this very initial cluster, nobody answering yet) is joined as new', () => {
    const spec = specWith();
    const bare = bareCluster(spec, 'debian12');
    const p0 = planSpec(spec, bare, { etcd: nobody });
    // etcd1 is up and waits for its peers: its data exists, it does not answer yet.
    const facts = new Map(bare).set('etcd1', applyOperations(bare.get('etcd1')!, p0.operations.get('etcd@etcd1')!));
    const p = planSpec(spec, facts, { etcd: nobody });
    expect(initialClusterIn(written(p, 'etcd@etcd2')!)?.state).toBe('new');
    // Another cluster's data there (another initial cluster): unknown, not guessed.
    const other = structuredClone(facts.get('etcd1')!);
    other.files['/etc/default/etcd'] = {
      ...other.files['/etc/default/etcd']!,
      content: other.files['/etc/default/etcd']!.content!.replace('ETCD_INITIAL_CLUSTER_STATE="new"', 'ETCD_INITIAL_CLUSTER_STATE="existing"'),
    };
    expect(change(planSpec(spec, new Map(facts).set('etcd1', other), { etcd: nobody }), 'etcd@etcd2').action).toBe('read');
  });
});

describe('membership commands', () => {
  it('add waits for pending additions and earlier hosts, and is done when the peer is listed', () => {
    const cmd = memberAddCommand('etcd5', 'https://10.0.0.35:2380', ['https://10.0.0.34:2380']);
    expect(cmd).toContain("if printf '%s\\n' \"$l\" | grep -qF -- ', https://10.0.0.35:2380'; then exit 0; fi");
    expect(cmd).toContain("! printf '%s\\n' \"$l\" | grep -q ', unstarted, '");
    expect(cmd).toContain("grep -F ', started, ' | grep -qF -- ', https://10.0.0.34:2380'");
  });

  it('remove takes only a hex member ID', () => {
    expect(memberRemoveCommand('30000000000000a', [])).toContain('member remove 30000000000000a >/dev/null');
    expect(() => memberRemoveCommand('3; rm -rf /', [])).toThrow(/not an etcd member ID/);
  });
});
