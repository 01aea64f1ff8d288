// Host addresses no other host (nor hactl) can reach a host at are refused: unspecified, loopback
// (unless every host is this machine), multicast, broadcast; and a VIP that is its network's own
// address or broadcast address.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadSpec } from '../../src/spec/index.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/ha-stacked.yaml', import.meta.url));
const base = readFileSync(EXAMPLE, 'utf8');
const errors = (text: string) =>
  loadSpec(text, EXAMPLE)
    .diagnostics.filter((d) => d.severity === 'error')
    .map((d) => `${d.path}: ${d.message}`);

describe('host addresses', () => {
  it('the example is valid', () => expect(errors(base)).toEqual([]));

  it.each([
    ['0.0.0.0', 'an unspecified ("this network") address'],
    ['127.0.0.1', 'a loopback address'],
    ['224.0.0.5', 'a multicast address'],
    ['255.255.255.255', 'the broadcast address'],
  ])('%s is refused as %s', (address, what) => {
    const text = base.replace('address: 10.0.10.21', `address: ${address}`);
    expect(text).not.toBe(base);
    expect(errors(text)).toContainEqual(`hosts[5].address: ${address} is ${what}, not an address the other hosts and hactl can reach this host at`);
  });

  it('IPv6 unspecified, loopback and multicast too', () => {
    for (const [address, what] of [
      ['"::"', 'the unspecified address'],
      ['"::1"', 'the loopback address'],
      ['"ff02::1"', 'a multicast address'],
    ]) {
      const text = base.replace('address: 10.0.10.21', `address: ${address}`);
      expect(
        errors(text).some((e) => e.startsWith('hosts[5].address:') && e.includes(`is ${what}`)),
        address,
      ).toBe(true);
    }
  });

  it('loopback is accepted when every host is this machine', () => {
    const text =
      'apiVersion: hactl.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: local\nprofile: test\nhosts:\n  - { name: a, address: 127.0.0.1, roles: [control-plane, worker] }\n  - { name: b, address: 127.0.0.2, roles: [worker] }\n';
    expect(errors(text).filter((e) => e.includes('loopback'))).toEqual([]);
  });
});

describe('the VIP', () => {
  it.each([
    ['10.0.10.0', 'network'],
    ['10.0.10.255', 'broadcast'],
  ])("%s is refused as its /24 network's %s address", (vip, edge) => {
    const text = base.replace('host: 10.0.10.10', `host: ${vip}`);
    expect(text).not.toBe(base);
    expect(errors(text)).toContainEqual(
      `controlPlaneEndpoint.host: the VIP ${vip} is the ${edge} address of its /24 network (loadBalancer.keepalived.subnetPrefix); choose an unused host address in it`,
    );
  });

  it('a multicast VIP is refused', () => {
    expect(errors(base.replace('host: 10.0.10.10', 'host: 224.0.0.18'))).toContainEqual(
      "controlPlaneEndpoint.host: the VIP 224.0.0.18 is a multicast address; the VIP must be an unused address on the load-balancer hosts' network",
    );
  });
});
