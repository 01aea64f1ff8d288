import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadSpecFile, minimumSize, resolvePlacement } from '../../src/spec/index.js';
import type { ClusterSpec } from '../../src/spec/types.js';

const example = async (name: string): Promise<ClusterSpec> => {
  const r = await loadSpecFile(fileURLToPath(new URL(`../../examples/${name}.yaml`, import.meta.url)));
  return r.spec!;
};
const names = (hosts: { name: string }[]): string[] => hosts.map((h) => h.name);

describe('topology', () => {
  it('stacked etcd has no hosts of its own; dedicated LBs are the lb hosts', async () => {
    const p = resolvePlacement(await example('ha-stacked'));
    expect(names(p.controlPlane)).toEqual(['cp1', 'cp2', 'cp3']);
    expect(p.firstControlPlane.name).toBe('cp1');
    expect(p.etcdHosts).toEqual([]);
    expect(p.proxy).toBe('lb-haproxy');
    expect(names(p.proxyHosts)).toEqual(['lb1', 'lb2']);
    expect(p.kubeVipHosts).toEqual([]);
    expect(names(p.workers)).toEqual(['worker1', 'worker2', 'worker3']);
    expect(names(p.kubeNodes)).toEqual(['cp1', 'cp2', 'cp3', 'worker1', 'worker2', 'worker3']);
  });

  it('external etcd has its own hosts; kube-vip runs on the control plane; none has no LB hosts', async () => {
    expect(names(resolvePlacement(await example('ha-external-etcd')).etcdHosts)).toEqual(['etcd1', 'etcd2', 'etcd3']);
    const vip = resolvePlacement(await example('kube-vip'));
    expect(names(vip.kubeVipHosts)).toEqual(['cp1', 'cp2', 'cp3']);
    expect([vip.proxy, vip.proxyHosts]).toEqual([undefined, []]);
    const single = resolvePlacement(await example('single'));
    expect([single.proxy, single.proxyHosts, single.kubeVipHosts]).toEqual([undefined, [], []]);
  });

  it('minimum sizes follow the profile table, taking the largest need of a multi-role host', () => {
    expect(minimumSize('test', ['control-plane'])).toEqual({ cpus: 2, memoryMiB: 4096, diskGB: 20 });
    expect(minimumSize('test', ['control-plane', 'worker'])).toEqual({ cpus: 4, memoryMiB: 8192, diskGB: 20 });
    expect(minimumSize('test', ['lb'])).toEqual({ cpus: 1, memoryMiB: 512, diskGB: 5 });
    expect(minimumSize('production', ['etcd'])).toEqual({ cpus: 4, memoryMiB: 8192, diskGB: 40 });
    expect(minimumSize('production', ['control-plane', 'etcd'])).toEqual({ cpus: 8, memoryMiB: 16384, diskGB: 40 });
  });
});
