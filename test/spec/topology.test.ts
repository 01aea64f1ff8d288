import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { controlPlaneHosts, etcdHosts, loadBalancerHosts, loadSpecFile, minimumSize, workerHosts } from '../../src/spec/index.js';
import type { ClusterSpec } from '../../src/spec/types.js';

const example = async (name: string): Promise<ClusterSpec> => {
  const r = await loadSpecFile(fileURLToPath(new URL(`../../examples/${name}.yaml`, import.meta.url)));
  return r.spec!;
};
const names = (hosts: { name: string }[]): string[] => hosts.map((h) => h.name);

describe('topology', () => {
  it('stacked etcd lives on the control plane; dedicated LBs are the lb hosts', async () => {
    const s = await example('ha-stacked');
    expect(names(controlPlaneHosts(s))).toEqual(['cp1', 'cp2', 'cp3']);
    expect(names(etcdHosts(s))).toEqual(['cp1', 'cp2', 'cp3']);
    expect(names(loadBalancerHosts(s))).toEqual(['lb1', 'lb2']);
    expect(names(workerHosts(s))).toEqual(['worker1', 'worker2', 'worker3']);
  });

  it('external etcd has its own hosts; kube-vip runs on the control plane; none has no LB hosts', async () => {
    expect(names(etcdHosts(await example('ha-external-etcd')))).toEqual(['etcd1', 'etcd2', 'etcd3']);
    expect(names(loadBalancerHosts(await example('kube-vip')))).toEqual(['cp1', 'cp2', 'cp3']);
    expect(loadBalancerHosts(await example('single'))).toEqual([]);
  });

  it('minimum sizes follow the profile table, taking the largest need of a multi-role host', () => {
    expect(minimumSize('test', ['control-plane'])).toEqual({ cpus: 2, memoryMiB: 4096, diskGB: 20 });
    expect(minimumSize('test', ['control-plane', 'worker'])).toEqual({ cpus: 4, memoryMiB: 8192, diskGB: 20 });
    expect(minimumSize('test', ['lb'])).toEqual({ cpus: 1, memoryMiB: 512, diskGB: 5 });
    expect(minimumSize('production', ['etcd'])).toEqual({ cpus: 4, memoryMiB: 8192, diskGB: 40 });
    expect(minimumSize('production', ['control-plane', 'etcd'])).toEqual({ cpus: 8, memoryMiB: 16384, diskGB: 40 });
  });
});
