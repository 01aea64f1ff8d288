import { describe, expect, it } from 'vitest';
import { wantedPackages } from '../../src/bundle/wanted.js';
import { localFiles, specFixture } from '../resources/helpers.js';

describe("the packages a bundle needs come from the kinds' own desired state", () => {
  it('an HA cluster with haproxy: each kind on its hosts, at the versions the kinds ask for', () => {
    const spec = specFixture('ha-haproxy.yaml');
    const wanted = wantedPackages(spec, localFiles(spec), 'amd64');
    const by = (name: string) => [...new Set(wanted.filter((w) => w.name === name).map((w) => `${w.wantedBy.split('@')[0]} ${w.version ?? 'any'}`))];
    expect(by('kubeadm')).toEqual(expect.arrayContaining([`kube-packages ${spec.kubernetes.version}-*`]));
    expect(by('haproxy')).toEqual(['lb-haproxy any']);
    expect(by('keepalived')).toEqual(['lb-keepalived any']);
    expect(by('chrony')).toEqual(['os-prep any']);
    expect([...new Set(wanted.map((w) => w.name))]).toEqual(
      expect.arrayContaining(['chrony', 'containerd', 'haproxy', 'keepalived', 'kubeadm', 'kubectl', 'kubelet']),
    );
    expect(wanted.map((w) => w.name)).not.toContain('nginx');
  });

  it('external etcd members: Debian etcd-server and etcd-client at the spec version; nginx with its stream module', () => {
    const spec = specFixture('../../../examples/ha-external-etcd.yaml');
    const wanted = wantedPackages(spec, localFiles(spec), 'amd64');
    expect(wanted.filter((w) => w.name.startsWith('etcd')).map((w) => `${w.name} ${w.version ?? 'any'}`)).toContain(
      `etcd-server ${spec.etcd.version !== undefined ? `${spec.etcd.version}*` : 'any'}`,
    );
    const nginx = specFixture('nginx.yaml');
    expect(wantedPackages(nginx, localFiles(nginx), 'amd64').map((w) => w.name)).toEqual(expect.arrayContaining(['nginx', 'libnginx-mod-stream']));
  });
});
