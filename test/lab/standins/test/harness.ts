// TypeScript driver of harness.sh for the loopback tests: builds the packages once, extracts each
// version into its own root, and runs commands inside harness nodes.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const standinsDir = resolve(import.meta.dirname, '..');
const harness = join(standinsDir, 'test', 'harness.sh');

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export function buildPackages(out: string): string[] {
  execFileSync('bash', [join(standinsDir, 'build.sh'), out], { stdio: ['ignore', 'ignore', 'pipe'] });
  return readdirSync(out)
    .filter((f) => f.endsWith('.deb'))
    .sort();
}

/** Extracts kubeadm, kubelet, kubectl of `version` and the matching cri-tools into a fresh root. */
export function extractRoot(debs: string, version: string, dest: string): string {
  mkdirSync(dest, { recursive: true });
  const cri = readdirSync(debs).filter((f) => f.startsWith(`cri-tools_${version.split('.').slice(0, 2).join('.')}.`))[0];
  for (const f of [`kubeadm_${version}-1.1_amd64.deb`, `kubelet_${version}-1.1_amd64.deb`, `kubectl_${version}-1.1_amd64.deb`, cri]) {
    if (!f) throw new Error(`no cri-tools for ${version}`);
    execFileSync('dpkg-deb', ['-x', join(debs, f), dest]);
  }
  return dest;
}

export class Harness {
  readonly dir: string;
  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'standins-h-'));
  }

  run(args: string[], opts: { rootfs?: string; timeoutMs?: number } = {}): Result {
    const r = spawnSync('bash', [harness, ...args], {
      encoding: 'utf8',
      timeout: opts.timeoutMs ?? 300_000,
      env: { ...process.env, ...(opts.rootfs ? { STANDIN_ROOTFS: opts.rootfs } : {}) },
    });
    return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }
  ok(args: string[], opts: { rootfs?: string; timeoutMs?: number } = {}): string {
    const r = this.run(args, opts);
    if (r.code !== 0) throw new Error(`harness ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  }
  switch(): void {
    this.ok(['switch', this.dir]);
  }
  /** A node with a runtime socket and the kubelet unit loop running, like a freshly installed host. */
  node(name: string, ip: string, rootfs: string): void {
    this.ok(['node', this.dir, name, ip, rootfs]);
    const t = join(standinsDir, 'test');
    this.ok([
      'exec',
      this.dir,
      name,
      'sh',
      '-c',
      `setsid node ${t}/fake-runtime.mjs </dev/null >/dev/null 2>&1 & setsid sh ${t}/kubelet-loop.sh </dev/null >/dev/null 2>&1 &`,
    ]);
    // Ready when the runtime's socket is: kubeadm's preflight asks it at once, and on a busy
    // machine node takes a while to start.
    this.ok([
      'exec',
      this.dir,
      name,
      'sh',
      '-c',
      'i=0; until [ -S /run/containerd/containerd.sock ]; do i=$((i+1)); [ $i -gt 300 ] && exit 1; sleep 0.1; done',
    ]);
  }
  sh(node: string, script: string, opts: { rootfs?: string; timeoutMs?: number } = {}): Result {
    return this.run(['exec', this.dir, node, 'sh', '-c', script], opts);
  }
  kill(node: string): void {
    execFileSync('sh', ['-c', `kill -9 "$(cat '${join(this.dir, `${node}.pid`)}')"`]);
  }
  down(): void {
    this.run(['down', this.dir]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
