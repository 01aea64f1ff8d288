// Each invalid spec in test/fixtures/specs/invalid must be rejected with the expected message at
// the expected line and column.

import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic, loadSpecFile } from '../../src/spec/index.js';

const DIR = fileURLToPath(new URL('../fixtures/specs/invalid/', import.meta.url));

// [fixture, line, col, path, message substring]
const CASES: [string, number, number, string, string][] = [
  ['yaml-unclosed-flow', 6, 60, '(yaml)', 'invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]'],
  ['yaml-tab-indent', 6, 1, '(yaml)', 'tabs are not allowed for indentation'],
  ['yaml-duplicate-key', 7, 1, '(yaml)', 'Map keys must be unique'],
  ['yaml-empty', 1, 1, '(root)', 'the file holds no cluster spec'],
  ['yaml-two-documents', 7, 1, '(yaml)', 'expected one YAML document, found a second one'],
  ['root-is-list', 1, 1, '(root)', 'must be a mapping, got a list'],
  ['wrong-api-version', 1, 13, 'apiVersion', "must be 'hactl.io/v1alpha1', got 'hactl.io/v1'"],
  ['wrong-kind', 2, 7, 'kind', "must be 'Cluster', got 'Clustr'"],
  ['missing-metadata-name', 3, 11, 'metadata.name', "missing required key 'name'"],
  ['missing-hosts', 1, 1, 'hosts', "missing required key 'hosts'"],
  ['empty-hosts', 5, 8, 'hosts', 'must not be empty'],
  ['misspelled-host-key', 7, 5, 'hosts[0].adress', "unknown key 'adress', did you mean 'address'?"],
  [
    'extra-san-invalid',
    11,
    7,
    'controlPlaneEndpoint.extraSANs[2]',
    "must be an IPv4 or IPv6 address or a DNS name (a leading '*.' allowed), got 'api_server.corp.internal'",
  ],
  ['host-missing-address', 6, 5, 'hosts[0].address', "missing required key 'address'"],
  ['unknown-key-typo', 7, 1, 'contolPlaneEndpoint', "unknown key 'contolPlaneEndpoint', did you mean 'controlPlaneEndpoint'?"],
  ['unknown-nested-key', 9, 3, 'kubernetes.podSubnets', "unknown key 'podSubnets', did you mean 'podSubnet'?"],
  ['snake-case-key', 8, 3, 'kubernetes.pod_subnet', "did you mean 'podSubnet'?"],
  ['inline-vrrp-password', 15, 5, 'loadBalancer.keepalived.authPassword', "secrets are never written in the spec: set 'authPasswordEnv'"],
  ['inline-registry-password', 11, 7, 'containerd.privateRegistries[0].password', "set 'passwordEnv' to the name of an environment variable"],
  ['inline-ssh-passphrase', 3, 3, 'ssh.passphrase', "set 'passphraseEnv'"],
  ['env-name-invalid', 15, 22, 'loadBalancer.keepalived.authPasswordEnv', 'must be the name of an environment variable'],
  ['port-not-a-number', 2, 9, 'ssh.port', "must be a whole number, got the string 'twenty-two'"],
  ['port-out-of-range', 8, 9, 'controlPlaneEndpoint.port', 'must be at most 65535, got 70000'],
  ['roles-not-a-list', 8, 12, 'hosts[0].roles', "must be a list, got the string 'control-plane'"],
  ['unknown-role', 6, 46, 'hosts[0].roles[0]', "got 'master', did you mean 'control-plane'?"],
  ['duplicate-role', 6, 69, 'hosts[0].roles[2]', "'worker' is listed twice (also at [1])"],
  ['host-name-not-dns-label', 6, 13, 'hosts[0].name', 'must be a DNS label'],
  ['cluster-name-invalid', 4, 9, 'metadata.name', "got 'Prod.Cluster'"],
  ['bad-ipv4-address', 6, 27, 'hosts[0].address', "must be an IPv4 or IPv6 address, got '10.0.0.256'"],
  ['label-value-invalid', 10, 13, 'hosts[0].labels.tier', 'must be a Kubernetes label value'],
  ['label-value-number', 10, 13, 'hosts[0].labels.rack', 'must be a string, got the number 7 (quote it)'],
  ['taint-effect-typo', 10, 49, 'hosts[0].taints[0].effect', "did you mean 'NoSchedule'?"],
  ['interface-unsafe', 14, 16, 'loadBalancer.keepalived.interface', "must be a network interface name like eth0 (at most 15 characters), got 'eth0; reboot'"],
  ['url-with-quote', 10, 19, 'containerd.registryMirrors[0].endpoints[0]', 'must be an http(s):// or file:// URL without spaces or quotes'],
  ['duplicate-host-name', 7, 13, 'hosts[1].name', "host name 'cp1' is already used by hosts[0]"],
  ['duplicate-address', 7, 26, 'hosts[1].address', 'address 10.0.0.11 is already used by hosts[0] (cp1)'],
  ['no-control-plane', 6, 3, 'hosts', "at least one host needs the role 'control-plane'"],
  ['even-external-etcd', 10, 48, 'hosts[4].roles[0]', 'etcd needs an odd number of members to keep quorum, got 4'],
  ['even-stacked-control-plane', 9, 46, 'hosts[3].roles[0]', 'etcd needs an odd number of members to keep quorum, got 4 (stacked etcd'],
  ['too-many-etcd', 15, 48, 'hosts[9].roles[0]', 'etcd supports at most 7 members, got 9'],
  ['etcd-role-with-stacked', 7, 48, 'hosts[1].roles[0]', "role 'etcd' needs etcd.topology 'external'"],
  ['external-etcd-without-hosts', 8, 13, 'etcd.topology', "external etcd needs hosts with the role 'etcd', found none"],
  ['lb-role-with-kube-vip', 6, 45, 'hosts[0].roles[0]', "role 'lb' needs a keepalived-haproxy or keepalived-nginx load balancer, but the type is 'kube-vip'"],
  ['keepalived-missing-interface', 14, 5, 'loadBalancer.keepalived.interface', "missing required key 'interface'"],
  ['keepalived-section-missing', 1, 1, 'loadBalancer.keepalived', "with 3 control-plane hosts the load balancer defaults to 'keepalived-haproxy'"],
  ['kube-vip-settings-missing', 11, 3, 'loadBalancer.kubeVip', "missing required key 'kubeVip' (needed when type is 'kube-vip')"],
  ['dedicated-without-lb-hosts', 11, 14, 'loadBalancer.placement', "dedicated placement needs hosts with the role 'lb'"],
  ['co-located-port-6443', 9, 48, 'controlPlaneEndpoint.port', 'port 6443 belongs to kube-apiserver'],
  ['priority-unknown-host', 17, 7, 'loadBalancer.keepalived.priorities.lb3', "'lb3' is not a load-balancer host; did you mean 'lb1'?"],
  ['subnet-prefix-too-long', 13, 48, 'loadBalancer.keepalived.subnetPrefix', 'must be at most 32 for the IPv4 VIP, got 64'],
  ['vip-missing', 1, 1, 'controlPlaneEndpoint.host', "missing required key 'host': the VIP"],
  ['vip-is-host-address', 11, 31, 'controlPlaneEndpoint.host', "the VIP 10.0.0.12 is the address of host 'cp2'"],
  [
    'vip-outside-lb-subnet',
    11,
    31,
    'controlPlaneEndpoint.host',
    "the VIP 10.0.1.10 is not in the /24 network of load-balancer host 'lb1' (10.0.0.5) (and 1 more)",
  ],
  ['vip-is-dns-name', 11, 31, 'controlPlaneEndpoint.host', "must be an IP address (the VIP keepalived-haproxy holds), got the DNS name 'api.corp.internal'"],
  ['overlapping-cidrs', 9, 18, 'kubernetes.serviceSubnet', '10.96.0.0/12 overlaps podSubnet 10.96.0.0/16'],
  ['host-in-pod-subnet', 6, 27, 'hosts[0].address', 'host address 10.244.3.7 lies inside podSubnet 10.244.0.0/16'],
  ['cidr-host-bits', 8, 14, 'kubernetes.podSubnet', '10.244.1.0/16 has host bits set; did you mean 10.244.0.0/16?'],
  ['cidr-malformed', 8, 18, 'kubernetes.serviceSubnet', "must be a CIDR like 10.244.0.0/16, got '10.96.0.0'"],
  ['service-subnet-too-large', 8, 18, 'kubernetes.serviceSubnet', '10.0.0.0/8 is too large'],
  ['k8s-version-format', 8, 12, 'kubernetes.version', "must be a version like 1.37.2 (three numbers, no leading 'v'), got 'v1.35.2'"],
  ['k8s-version-too-old', 8, 12, 'kubernetes.version', 'Kubernetes 1.31.4 is not supported: hactl supports 1.34 to 1.37 (any patch release)'],
  ['k8s-version-too-new', 8, 12, 'kubernetes.version', 'Kubernetes 1.38.0 is not supported: hactl supports 1.34 to 1.37 (any patch release)'],
  ['renew-before-validity', 10, 22, 'kubernetes.certificates.renewBeforeDays', 'must be less than validityDays (30), got 30'],
  ['max-unavailable-zero-percent', 9, 21, 'kubernetes.upgrade.maxUnavailable', 'a number of workers (1 or more) or a percentage like 10%'],
  ['cni-manifest-missing', 8, 3, 'cni.manifest', "missing required key 'manifest' (needed when plugin is 'manifest')"],
  ['cni-manifest-with-version', 10, 3, 'cni.version', "with plugin 'manifest' the manifest decides"],
  ['registry-password-without-user', 9, 7, 'containerd.privateRegistries[0]', "'usernameEnv' is missing"],
  ['duplicate-mirror', 10, 19, 'containerd.registryMirrors[1].registry', "'docker.io' already has mirrors in registryMirrors[0]"],
  ['apt-trusted-with-key', 13, 9, 'packages.apt.os[0].trusted', 'contradicts keyFile'],
  ['replace-defaults-without-sources', 8, 20, 'packages.replaceDefaults', 'needs at least one OS source'],
  ['missing-ca-file', 10, 15, 'containerd.privateRegistries[0].caFile', 'file not found: '],
  ['missing-cni-manifest-file', 9, 13, 'cni.manifest', 'file not found: '],
];

describe('invalid specs', () => {
  it('covers every fixture and at least 40 cases', () => {
    const fixtures = readdirSync(DIR)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.replace(/\.yaml$/, ''))
      .sort();
    expect(CASES.map((c) => c[0]).sort()).toEqual(fixtures);
    expect(CASES.length).toBeGreaterThanOrEqual(40);
  });

  it.each(CASES)('%s: %i:%i %s', async (name, line, col, path, message) => {
    const file = `${DIR}${name}.yaml`;
    const result = await loadSpecFile(file);
    expect(result.spec).toBeUndefined();
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    const match = errors.find((d) => d.line === line && d.col === col && d.path === path && d.message.includes(message));
    expect(match, `expected ${line}:${col} ${path}: ...${message}... among\n${errors.map(formatDiagnostic).join('\n')}`).toBeDefined();
    expect(match!.file).toBe(file);
    expect(formatDiagnostic(match!)).toBe(`${file}:${line}:${col}: ${path}: ${match!.message}`);
  });
});

describe('one pass shows schema and semantic errors, without cascades', () => {
  it('reports a misspelled key once, and semantic errors elsewhere alongside it', async () => {
    const file = `${DIR}../mixed.yaml`;
    const result = await loadSpecFile(file);
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([
      `${file}:8:5: hosts[1].adress: unknown key 'adress', did you mean 'address'?`,
      `${file}:10:13: hosts[2].name: host name 'cp1' is already used by hosts[0]`,
      `${file}:13:1: contolPlaneEndpoint: unknown key 'contolPlaneEndpoint', did you mean 'controlPlaneEndpoint'?`,
      `${file}:16:18: kubernetes.serviceSubnet: 10.240.0.0/12 overlaps podSubnet 10.244.0.0/16`,
    ]);
  });
});
