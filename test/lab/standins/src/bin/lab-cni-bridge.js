#!/usr/bin/env node
// The lab's CNI installer "image" (registry.k8s.io/lab/cni-bridge): like a CNI DaemonSet's install
// container it writes a network configuration for the real bridge and host-local plugins into
// /etc/cni/net.d, then stays running as the pod's process until it is stopped.
import fs from 'node:fs';

const dir = process.env.CNI_CONF_DIR || '/etc/cni/net.d';
const hostIP = process.env.HOST_IP || '';
const prefix = process.env.POD_SUBNET_PREFIX || '10.244';
const octet = Number(hostIP.split('.')[3]);
if (!Number.isInteger(octet)) {
  console.error(`HOST_IP "${hostIP}" is not an IPv4 address`);
  process.exit(1);
}
const subnet = `${prefix}.${octet}.0/24`;
const conf = {
  cniVersion: '1.0.0',
  name: 'lab',
  plugins: [
    { type: 'bridge', bridge: 'cni0', isGateway: true, ipMasq: false, ipam: { type: 'host-local', ranges: [[{ subnet }]] } },
    { type: 'portmap', capabilities: { portMappings: true } },
  ],
};
fs.mkdirSync(dir, { recursive: true });
const file = `${dir}/10-lab-bridge.conflist`;
fs.writeFileSync(`${file}.tmp`, JSON.stringify(conf, null, 2) + '\n');
fs.renameSync(`${file}.tmp`, file);
console.log(`wrote ${file} for pod subnet ${subnet}`);
process.on('SIGTERM', () => process.exit(0));
setInterval(() => {}, 1 << 30);
