// One drift run of the ha-haproxy fixture (two lb hosts, three control-plane hosts, a worker) for
// the views of `drift --listen`: drift on cp1, worker1 unreachable, the VIP on lb1, stacked etcd
// with an unhealthy member, lease holders, certificates, a snapshot; host-observed strings carry
// HTML, and the spec's secrets (TEST_ENV) are what no view may show.
import type { DriftRun } from '../../src/drift/status.js';
import { buildClusterStatus } from '../../src/drift/status.js';
import { graphMermaid } from '../../src/drift/status.js';
import type { HostFacts } from '../../src/facts/types.js';
import { etcdObservation } from '../../src/resources/etcd.js';
import { bareCluster, localFiles, planSpec, specFixture, TEST_ENV } from '../resources/helpers.js';
import { report } from './fixtures.js';

/** The values no page or metric may contain: the spec's secrets, as the environment gives them. */
export const SECRETS = Object.values(TEST_ENV);

export const HOSTILE_PATH = '/etc/kubernetes/pki/<script>alert(1)</script>.crt';

export function fixtureRun(): DriftRun {
  const spec = specFixture('ha-haproxy.yaml');
  const facts = bareCluster(spec, 'debian12');
  const lb1 = facts.get('lb1')!;
  facts.set('lb1', { ...lb1, interfaces: [...lb1.interfaces, { name: 'eth0:vip', addresses: ['10.0.0.10/32'], up: true }] });
  const cert = (path: string, notAfter: string) => ({ path, notAfter, daysLeft: 1 });
  const cp1 = facts.get('cp1')!;
  facts.set('cp1', {
    ...cp1,
    certificates: [
      cert('/etc/kubernetes/pki/apiserver.crt', '2027-11-22T08:00:00.000Z'),
      cert(HOSTILE_PATH, '2026-12-01T00:00:00.000Z'),
      { path: '/etc/kubernetes/pki/broken.crt', error: 'unable to load certificate' },
    ],
  } satisfies HostFacts);
  facts.delete('worker1');
  const plan = planSpec(spec, facts, { env: TEST_ENV, localFiles: localFiles(spec), unreachable: { worker1: 'connect ECONNREFUSED 10.0.0.21:22' } }).plan;
  const withLeases = { ...plan, cluster: { ...plan.cluster!, leaseHolders: { scheduler: 'cp2', controllerManager: 'cp1' } } };
  const stackedEtcd = etcdObservation({
    ok: true,
    facts: {
      observedFrom: 'cp1',
      clusterId: 'c1',
      version: '3.5.16',
      members: [
        { id: 'a1', name: 'cp1', peerURLs: ['https://10.0.0.11:2380'], clientURLs: ['https://10.0.0.11:2379'], started: true, healthy: true, leader: true },
        { id: 'a2', name: 'cp2', peerURLs: ['https://10.0.0.12:2380'], clientURLs: ['https://10.0.0.12:2379'], started: true, healthy: true, leader: false },
        {
          id: 'a3',
          name: 'cp3<b>',
          peerURLs: ['https://10.0.0.13:2380'],
          clientURLs: ['https://10.0.0.13:2379'],
          started: true,
          healthy: false,
          leader: false,
          error: 'context deadline exceeded <i>',
        },
      ],
    },
  } as Parameters<typeof etcdObservation>[0]);
  const snapshot = {
    dir: '/var/backups/hactl',
    latest: { name: 'fixture-20261121T080000Z', created: '2026-11-21T08:00:00.000Z', member: 'cp2', revision: 4711 },
  };
  return {
    report: report(withLeases),
    plan: withLeases,
    status: buildClusterStatus({ spec, plan: withLeases, facts, stackedEtcd, snapshot }),
    graph: graphMermaid(spec),
  };
}
