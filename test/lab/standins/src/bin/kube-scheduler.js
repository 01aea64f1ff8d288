#!/usr/bin/env node
// kube-scheduler stand-in: the leader binds each unscheduled pod to a Ready node whose taints it
// tolerates and whose labels match its nodeSelector, preferring the node with the fewest pods.
import { startComponent, every } from '../lib/component.js';
import { feasible } from '../lib/scheduling.js';

const KNOWN = new Set([
  'authentication-kubeconfig',
  'authorization-kubeconfig',
  'bind-address',
  'kubeconfig',
  'leader-elect',
  'secure-port',
  'v',
  'version',
  'config',
  'feature-gates',
]);

startComponent('kube-scheduler', KNOWN, ({ api, log }) =>
  every(
    1000,
    async () => {
      const pods = (await api.get('/api/v1/pods')).items;
      const pending = pods.filter((p) => !p.spec.nodeName && (p.spec.schedulerName || 'default-scheduler') === 'default-scheduler');
      if (!pending.length) return;
      const nodes = (await api.get('/api/v1/nodes')).items;
      const load = new Map(nodes.map((n) => [n.metadata.name, 0]));
      for (const p of pods) if (p.spec.nodeName) load.set(p.spec.nodeName, (load.get(p.spec.nodeName) || 0) + 1);
      for (const p of pending) {
        const cands = nodes
          .filter((n) => feasible(p, n))
          .sort((a, b) => load.get(a.metadata.name) - load.get(b.metadata.name) || a.metadata.name.localeCompare(b.metadata.name));
        if (!cands.length) continue;
        const node = cands[0].metadata.name;
        try {
          await api.post(`/api/v1/namespaces/${p.metadata.namespace}/pods/${p.metadata.name}/binding`, {
            apiVersion: 'v1',
            kind: 'Binding',
            metadata: { name: p.metadata.name },
            target: { apiVersion: 'v1', kind: 'Node', name: node },
          });
          load.set(node, load.get(node) + 1);
          log(`Successfully bound pod to node pod="${p.metadata.namespace}/${p.metadata.name}" node="${node}"`);
        } catch (e) {
          log(`binding ${p.metadata.name}: ${e.message}`);
        }
      }
    },
    log,
  ),
);
