import { describe, expect, it } from 'vitest';
import { resolvePlacement } from '../../src/spec/topology.js';
import { renderHaproxyCfg } from '../../src/resources/lb-haproxy.js';
import { renderNginxConf } from '../../src/resources/lb-nginx.js';
import { renderKubeVipManifest } from '../../src/resources/kube-vip.js';
import { renderAptList } from '../../src/resources/package-sources.js';
import { renderHostsToml } from '../../src/resources/containerd.js';
import { mergeHosts, commentOutSwap } from '../../src/resources/os-prep.js';
import { specFromText } from './helpers.js';

const v6 = specFromText(`apiVersion: hactl.io/v1alpha1
kind: Cluster
metadata: { name: six }
hosts:
  - { name: cp1, address: "fd00::11", roles: [control-plane] }
  - { name: cp2, address: "fd00::12", roles: [control-plane] }
  - { name: cp3, address: "fd00::13", roles: [control-plane] }
controlPlaneEndpoint: { host: "fd00::10" }
loadBalancer:
  type: keepalived-haproxy
  keepalived: { interface: eth0, subnetPrefix: 64 }
kubernetes: { podSubnet: "fd10::/56", serviceSubnet: "fd20::/108" }
`);

describe('renderers', () => {
  it('bracket IPv6 backends in haproxy and nginx; the co-located frontend is 8443', () => {
    const cps = resolvePlacement(v6).controlPlane;
    const h = renderHaproxyCfg(v6, cps);
    expect(h).toContain('    bind *:8443\n');
    expect(h).toContain('    server cp1 [fd00::11]:6443 check verify none inter 2000 fall 3 rise 2\n');
    expect(renderNginxConf(v6, cps, 'apt')).toContain('        server [fd00::12]:6443 max_fails=3 fail_timeout=6s;\n');
  });

  it('kube-vip announces an IPv6 VIP as a /128', () => {
    expect(renderKubeVipManifest({ version: '0.8.7', iface: 'eth0', vip: 'fd00::10', kubeconfig: '/etc/kubernetes/admin.conf' })).toContain(
      '    - name: vip_cidr\n      value: "128"\n',
    );
  });

  it('apt: a flat repository takes no components, a normal one keeps them', () => {
    const text = renderAptList('os', [
      { uri: 'http://m/debian', suite: 'bookworm', components: ['main', 'contrib'], trusted: true },
      { uri: 'http://m/', suite: 'debian/', components: ['main'], trusted: false, keyFile: '/k.asc' },
    ]);
    expect(text.split('\n').slice(2)).toEqual([
      'deb [trusted=yes] http://m/debian bookworm main contrib',
      'deb [signed-by=/etc/apt/keyrings/hactl-os-1.asc] http://m/ debian/',
      '',
    ]);
  });

  it('hosts.toml: a mirror without a path of its own needs no override_path; skip_verify for an insecure registry', () => {
    const t = renderHostsToml('quay.io', ['https://mirror.corp.internal'], [{ host: 'mirror.corp.internal', insecureSkipVerify: true }], () => undefined);
    expect(t).toBe(
      '# managed by hactl; local edits are overwritten on apply\nserver = "https://quay.io"\n\n[host."https://mirror.corp.internal"]\n  capabilities = ["pull", "resolve"]\n  skip_verify = true\n',
    );
  });

  it('/etc/hosts and fstab edits keep everything else byte for byte', () => {
    expect(mergeHosts('127.0.0.1 localhost\r\n# BEGIN hactl\n1.2.3.4 a\n# END hactl\n10.0.0.1 x', ['# BEGIN hactl', '9.9.9.9 b', '# END hactl'])).toBe(
      '127.0.0.1 localhost\n# BEGIN hactl\n9.9.9.9 b\n# END hactl\n10.0.0.1 x\n',
    );
    expect(mergeHosts(null, ['# BEGIN hactl', '# END hactl'])).toBe('127.0.0.1 localhost\n# BEGIN hactl\n# END hactl\n');
    expect(commentOutSwap('# swap below\n/dev/sda2 none swap sw 0 0\n\tUUID=1 / ext4 defaults 0 1\n')).toBe(
      '# swap below\n#hactl# /dev/sda2 none swap sw 0 0\n\tUUID=1 / ext4 defaults 0 1\n',
    );
  });
});
