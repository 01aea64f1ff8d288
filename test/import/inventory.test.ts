import { describe, expect, it } from 'vitest';
import { InventoryError, parseInventory, splitHostLine } from '../../src/import/inventory.js';

// kubespray's sample inventory (inventory/sample/inventory.ini), its shape.
const KUBESPRAY_INI = `# ## Configure 'ip' variable to bind kubernetes services on a different ip than the default iface
[kube_control_plane]
node1 ansible_host=95.54.0.12 ip=10.3.0.1 etcd_member_name=etcd1
node2 ansible_host=95.54.0.13  ip=10.3.0.2 etcd_member_name=etcd2
node3 ansible_host=95.54.0.14 ip=10.3.0.3 etcd_member_name=etcd3

[etcd:children]
kube_control_plane

[kube_node]
node4 ansible_host=95.54.0.15  # ip=10.3.0.4
node5 ip=10.3.0.5 ansible_user="deploy user"

[bastion]
bastion ansible_host=x.x.x.x ansible_user=some_user

[k8s_cluster:children]
kube_control_plane
kube_node
`;

// kubeasz's example hosts file (example/hosts.multi-node), its shape.
const KUBEASZ_INI = `# 'etcd' cluster should have odd member(s) (1,3,5,...)
[etcd]
192.168.1.1
192.168.1.2
192.168.1.3

# master node(s), set unique 'k8s_nodename' for each node
[kube_master]
192.168.1.1 k8s_nodename='master-01'
192.168.1.2 k8s_nodename='master-02'

[kube_node]
192.168.1.4 k8s_nodename='worker-01'

[ex_lb]
#192.168.1.6 LB_ROLE=backup EX_APISERVER_VIP=192.168.1.250 EX_APISERVER_PORT=8443

[all:vars]
SECURE_PORT="6443"
CONTAINER_RUNTIME="containerd"
`;

const YAML_INVENTORY = `all:
  hosts:
    node1:
      ansible_host: 10.0.0.1
      ip: 10.0.0.1
    node2:
      ansible_host: 10.0.0.2
      ansible_port: 2222
  children:
    kube_control_plane:
      hosts:
        node1:
    kube_node:
      hosts:
        node2:
        node3:
          ip: 10.0.0.3
    bastion:
      hosts:
        jump:
          ansible_host: 1.2.3.4
`;

describe('parseInventory', () => {
  it("kubespray's INI: ansible_host wins, groups gathered, bastion left out, quoted values, trailing comments", () => {
    const hosts = parseInventory(KUBESPRAY_INI, 'inventory.ini');
    expect(hosts.map((h) => [h.name, h.address])).toEqual([
      ['node1', '95.54.0.12'],
      ['node2', '95.54.0.13'],
      ['node3', '95.54.0.14'],
      ['node4', '95.54.0.15'],
      ['node5', '10.3.0.5'],
    ]);
    expect(hosts[4]!.user).toBe('deploy user');
    expect(hosts[0]!.groups).toEqual(['kube_control_plane']);
  });

  it("kubeasz's hosts file: hosts named by address, listed once though in several groups; vars sections skipped", () => {
    const hosts = parseInventory(KUBEASZ_INI, 'hosts');
    expect(hosts.map((h) => h.address)).toEqual(['192.168.1.1', '192.168.1.2', '192.168.1.3', '192.168.1.4']);
    expect(hosts[0]!.groups).toEqual(['etcd', 'kube_master']);
  });

  it('YAML: hosts of all and of every child group, merged by name', () => {
    const hosts = parseInventory(YAML_INVENTORY, 'hosts.yaml');
    expect(hosts.map((h) => [h.name, h.address, h.port])).toEqual([
      ['node1', '10.0.0.1', undefined],
      ['node2', '10.0.0.2', 2222],
      ['node3', '10.0.0.3', undefined],
    ]);
  });

  it.each([
    ['[nodes]\nweb[01:10] ansible_host=10.0.0.1\n', /inv:2: host ranges such as web\[01:10\] are not supported/],
    ['[nodes]\nnode1\n', /inv:2: host node1 has no IP address \(set ansible_host=ADDRESS\)/],
    ['[nodes]\n10.0.0.1 bad\n', /inv:2: expected key=value after the host name, got "bad"/],
    ['[nodes]\n10.0.0.1 x="open\n', /inv:2: unterminated " quote/],
    ['[nodes]\n# none\n', /inv: no hosts in the inventory/],
    ['[a]\n10.0.0.1\n[b]\nn2 ansible_host=10.0.0.1\n', /inv: n2 and 10\.0\.0\.1 have the same address 10\.0\.0\.1/],
    ['- just\n- a list\n', /inv: a YAML inventory is a mapping of groups/],
    ['all:\n  hosts: [a, b]\n', /inv: all\.hosts must be a mapping of host names/],
  ])('refuses %j', (text, re) => {
    expect(() => parseInventory(text, 'inv')).toThrow(InventoryError);
    expect(() => parseInventory(text, 'inv')).toThrow(re);
  });

  it('splits host lines as Ansible does (quotes keep blanks)', () => {
    expect(splitHostLine(`n1 a=1 b="x y" c='z w' d=""`)).toEqual(['n1', 'a=1', 'b=x y', 'c=z w', 'd=']);
  });
});
