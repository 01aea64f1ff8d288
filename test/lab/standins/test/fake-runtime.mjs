// Test fixture: a socket at containerd's path so the kubelet and kubeadm see a runtime answering.
import net from 'node:net';
import fs from 'node:fs';
const p = process.argv[2] || '/run/containerd/containerd.sock';
fs.rmSync(p, { force: true });
net.createServer((s) => s.end()).listen(p);
