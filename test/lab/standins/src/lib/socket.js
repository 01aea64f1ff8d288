// Whether a unix socket (a CRI endpoint such as unix:///run/containerd/containerd.sock) accepts a
// connection within two seconds: how crictl, kubeadm's preflight and the kubelet stand-ins tell
// that the container runtime answers.
import net from 'node:net';

export function socketAnswers(endpoint) {
  const sock = endpoint.replace(/^unix:\/\//, '');
  return new Promise((resolve) => {
    const s = net.connect(sock);
    const t = setTimeout(() => {
      s.destroy();
      resolve(false);
    }, 2000);
    s.on('connect', () => {
      clearTimeout(t);
      s.destroy();
      resolve(true);
    });
    s.on('error', () => {
      clearTimeout(t);
      resolve(false);
    });
  });
}
