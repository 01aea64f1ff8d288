// etcd's member list and health as facts: outputs of ETCD_FACTS_COMMAND captured from a real
// etcd 3.4.23 cluster of three members (test/facts/etcd-captures/: all healthy; one stopped; a
// member added and not started; two of three stopped, no leader) in, EtcdFacts out.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ETCD_FACTS_COMMAND, memberOf, parseEtcdFacts, quorumOf } from '../../src/facts/etcd.js';
import { etcdFactsHosts } from '../../src/facts/cluster.js';
import { bareFacts } from '../resources/helpers.js';

const captured = (name: string) => readFileSync(new URL(`./etcd-captures/${name}.txt`, import.meta.url), 'utf8');
const summary = (name: string) =>
  parseEtcdFacts(captured(name), 'etcd1').members.map(
    (m) => `${m.name || '-'} ${m.id} ${m.started ? 'started' : 'unstarted'} ${m.healthy ? 'healthy' : `unhealthy: ${m.error}`}${m.leader ? ' leader' : ''}`,
  );

describe('etcd facts parser', () => {
  it('three healthy members: IDs in hex without losing precision, one leader', () => {
    const f = parseEtcdFacts(captured('healthy'), 'etcd1');
    expect(f.clusterId).toBe('c4cc5e9dbfcee0d6');
    expect(f.observedFrom).toBe('etcd1');
    expect(summary('healthy')).toEqual([
      'm1 298a862869b331d1 started healthy leader',
      'm3 395d8657237f4a35 started healthy',
      'm2 57f12d0dc44227f6 started healthy',
    ]);
    expect(f.members[0]!.peerURLs).toEqual(['http://127.0.0.1:32380']);
    expect(f.members[0]!.clientURLs).toEqual(['http://127.0.0.1:32370']);
  });

  it("one member stopped: still listed and started, unhealthy with etcd's reason", () => {
    expect(summary('onedown')).toEqual([
      'm1 298a862869b331d1 started healthy leader',
      'm3 395d8657237f4a35 started healthy',
      'm2 57f12d0dc44227f6 started unhealthy: context deadline exceeded',
    ]);
  });

  it('a member added and not started: no name, not started, found by its peer URL', () => {
    const f = parseEtcdFacts(captured('unstarted'), 'etcd1');
    expect(summary('unstarted')[3]).toBe('- a5f4df563e4b0f5e unstarted unhealthy: not started');
    expect(memberOf(f, 'm4', 'http://127.0.0.1:32383')?.id).toBe('a5f4df563e4b0f5e');
    expect(memberOf(f, 'm2', 'http://127.0.0.1:32381')?.id).toBe('57f12d0dc44227f6');
    expect(memberOf(f, 'm5', 'http://127.0.0.1:32384')).toBeUndefined();
  });

  it('two of three stopped: the member list still answers, nobody is healthy and there is no leader', () => {
    const f = parseEtcdFacts(captured('noquorum'), 'etcd3');
    expect(f.members.filter((m) => m.healthy)).toEqual([]);
    expect(f.members.filter((m) => m.leader)).toEqual([]);
    expect(f.members.map((m) => m.error)).toEqual(['context deadline exceeded', 'context deadline exceeded', 'context deadline exceeded']);
  });

  it('what is not etcdctl output is an error with a reason, never a wrong answer', () => {
    expect(() => parseEtcdFacts('', 'etcd1')).toThrow(/status section is missing/);
    expect(() => parseEtcdFacts('Error: context deadline exceeded\n\n@@hactl:etcd-status\n', 'etcd1')).toThrow(/not JSON/);
    expect(() => parseEtcdFacts('{"header":{}}\n\n@@hactl:etcd-status\n', 'etcd1')).toThrow(/no members/);
    // Status and health missing (etcdctl died after the member list): members known, none healthy.
    const list = captured('healthy').split('\n@@hactl:etcd-status\n')[0]!;
    const f = parseEtcdFacts(`${list}\n@@hactl:etcd-status\n`, 'etcd1');
    expect(f.members.map((m) => [m.healthy, m.error])).toEqual([
      [false, 'no answer to the health check'],
      [false, 'no answer to the health check'],
      [false, 'no answer to the health check'],
    ]);
  });

  it('quorum sizes', () => {
    expect([1, 2, 3, 4, 5, 7].map(quorumOf)).toEqual([1, 2, 2, 3, 3, 4]);
  });

  it("the command reads only: member list, endpoint status and health, with the member's own certificate", () => {
    const verbs = [...ETCD_FACTS_COMMAND.matchAll(/etcdctl .*? (member list|endpoint status|endpoint health|member add|member remove|put|del)\b/g)].map(
      (m) => m[1],
    );
    expect(verbs).toEqual(['member list', 'endpoint status', 'endpoint health']);
    expect(ETCD_FACTS_COMMAND).toContain('--cert=/etc/etcd/pki/server.crt');
  });
});

describe('which etcd host is asked', () => {
  it('only hosts with the member certificate and a running etcd, in spec order; the others with why', () => {
    const member = (active: boolean) =>
      bareFacts('debian12', '10.0.0.31', {
        certificates: [{ path: '/etc/etcd/pki/server.crt', daysLeft: 300 }],
        units: { etcd: { exists: true, enabled: true, active } },
      });
    const facts = new Map([
      ['etcd1', member(false)],
      ['etcd2', bareFacts('debian12')],
      ['etcd3', member(true)],
    ]);
    expect(etcdFactsHosts(['etcd1', 'etcd2', 'etcd3', 'etcd4'], facts)).toEqual({
      ask: ['etcd3'],
      skipped: ['etcd1: etcd not running', 'etcd2: no member certificate', 'etcd4: not observed'],
    });
  });
});
