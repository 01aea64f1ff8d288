// The host's image store: kubeadm "pulls" its control-plane images here; the kubelet runs from here.
// etcd's image is served by Debian's etcd binary (there are no container images in the lab).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const IMAGE_STORE = '/var/lib/kube-standins/images';
export const ETCD_BINARY = '/usr/bin/etcd';
export const CONTROL_PLANE = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];

export function parseImage(ref) {
  const m = /^(?:(.+)\/)?([^/:]+):([^/:]+)$/.exec(ref || '');
  return m ? { repo: m[1] || 'docker.io/library', name: m[2], tag: m[3] } : null;
}

// argv prefix that runs `image`, or an error string as the kubelet would report it.
export function resolveImage(ref) {
  const im = parseImage(ref);
  if (!im) return { error: `InvalidImageName: ${ref}` };
  if (im.name === 'etcd') {
    if (!fs.existsSync(ETCD_BINARY)) return { error: `ErrImagePull: ${ETCD_BINARY} missing (install etcd-server)` };
    return { exec: [ETCD_BINARY], replacesCommand: 'etcd' };
  }
  // pause does nothing but wait: it runs for real as a process that waits.
  if (im.name === 'pause')
    return { exec: [process.execPath, '-e', 'process.on("SIGTERM",()=>process.exit(0));setInterval(()=>{},1<<30)'], replacesCommand: '/pause' };
  if (im.repo === 'registry.k8s.io/lab' && im.name === 'cni-bridge')
    return { exec: [process.execPath, fileURLToPath(new URL('../bin/lab-cni-bridge.js', import.meta.url))], replacesCommand: 'cni-bridge' };
  if (CONTROL_PLANE.includes(im.name)) {
    const entry = path.join(IMAGE_STORE, im.name, im.tag, 'bin', `${im.name}.js`);
    if (!fs.existsSync(entry)) return { error: `ErrImagePull: image ${ref} not present in ${IMAGE_STORE}` };
    return { exec: [process.execPath, entry], replacesCommand: im.name };
  }
  return { error: `ErrImagePull: image ${ref} cannot be pulled in the lab` };
}

// Copy this program tree as the control-plane images of its version (kubeadm's "images pull").
export function pullOwnImages(treeDir, version) {
  const pulled = [];
  for (const name of CONTROL_PLANE) {
    const dest = path.join(IMAGE_STORE, name, version);
    if (!fs.existsSync(path.join(dest, 'bin', `${name}.js`))) {
      const tmp = `${dest}.tmp-${process.pid}`;
      fs.rmSync(tmp, { recursive: true, force: true });
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.cpSync(treeDir, tmp, { recursive: true });
      fs.rmSync(dest, { recursive: true, force: true });
      fs.renameSync(tmp, dest);
    }
    pulled.push(`registry.k8s.io/${name}:${version}`);
  }
  return pulled;
}
