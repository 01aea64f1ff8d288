// apply's upload step (package-bundle): local files checked first, only what the host lacks goes
// over SFTP, the host checks them all, bundle.json last.
import { readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Executor, StepError } from '../../src/apply/executor.js';
import { compile } from '../../src/resources/index.js';
import type { HostFacts } from '../../src/facts/types.js';
import type { ExecOptions, ExecResult, Transport, WriteFileOptions } from '../../src/transport/transport.js';
import { applyOperations, bareCluster, FIXTURES, localFiles, planSpec, specFixture } from '../resources/helpers.js';

const spec = specFixture('bundled.yaml');
const DIR = `${FIXTURES}files/bundle/`;
const sha = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

/** One host whose /var/lib/hactl/bundle is a map of path to content. */
function world(onHost: Record<string, string>) {
  const files = new Map(Object.entries(onHost));
  const facts = bareCluster(spec, 'debian12');
  const log: string[] = [];
  const transport: Transport = {
    host: 'node1',
    readOnly: false,
    async exec(cmd: string, opts?: ExecOptions): Promise<ExecResult> {
      log.push(`exec ${cmd.split(' && ').at(-1)}`);
      const lines = (cmd.includes('sha256sum --quiet --strict -c SHA256SUMS') ? (files.get('SHA256SUMS') ?? '') : String(opts?.stdin ?? ''))
        .split('\n')
        .filter(Boolean);
      const checks = lines.map((l) => {
        const [want, path] = l.split('  ') as [string, string];
        const have = files.get(path);
        return `${path}: ${have === undefined ? 'FAILED open or read' : sha(have) === want ? 'OK' : 'FAILED'}`;
      });
      const failed = checks.some((c) => !c.endsWith(': OK'));
      if (cmd.includes('--quiet')) return { code: failed ? 1 : 0, stdout: checks.filter((c) => !c.endsWith(': OK')).join('\n'), stderr: '', durationMs: 1 };
      return { code: 0, stdout: checks.join('\n'), stderr: '', durationMs: 1 };
    },
    observe: () => Promise.reject(new Error('unused')),
    readFile: () => Promise.resolve(undefined),
    async writeFile(path: string, content: string | Buffer, o: WriteFileOptions) {
      log.push(`write ${path}`);
      facts.set(
        'node1',
        applyOperations(facts.get('node1')!, [
          {
            description: '',
            writeFile: { path, content: String(content), mode: o.mode },
            effects: [{ type: 'file', path, content: String(content), mode: o.mode }],
          },
        ]),
      );
    },
    async upload(local: string, remote: string) {
      log.push(`upload ${remote}`);
      files.set(remote.replace('/var/lib/hactl/bundle/', ''), readFileSync(local, 'utf8'));
    },
    close: () => Promise.resolve(),
  };
  const detailed = planSpec(spec, facts, { localFiles: localFiles(spec) });
  const executor = new Executor({
    spec,
    plan: detailed.plan,
    facts: new Map<string, HostFacts>(),
    probe: async () => ({ ok: true, facts: structuredClone(facts.get('node1')!) }),
    withTransport: (_h, fn) => fn(transport),
    env: {},
    localFiles: localFiles(spec),
  });
  const node = compile(spec).node('package-bundle@node1');
  return { files, log, run: () => executor.run(node, new AbortController().signal) };
}

describe('uploading a bundle', () => {
  it('a host with part of the bundle gets only the rest, the host checks all, bundle.json last', async () => {
    const w = world({
      'apt/kubeadm_1.35.4-1.1_amd64.deb': readFileSync(`${DIR}apt/kubeadm_1.35.4-1.1_amd64.deb`, 'utf8'),
      'manifests/calico-3.28.2.yaml': 'an older copy',
    });
    await w.run();
    expect(w.log).toEqual([
      'exec { sha256sum -c 2>/dev/null || true; }',
      'upload /var/lib/hactl/bundle/manifests/calico-3.28.2.yaml',
      'upload /var/lib/hactl/bundle/SHA256SUMS',
      'exec sha256sum --quiet --strict -c SHA256SUMS',
      'write /var/lib/hactl/bundle/bundle.json',
    ]);
  });

  it('a local file that differs from bundle.json stops the upload before anything is sent', async () => {
    const path = `${DIR}manifests/calico-3.28.2.yaml`;
    const good = readFileSync(path);
    writeFileSync(path, `${good.toString()}# changed\n`);
    try {
      const w = world({});
      const e = await w.run().catch((x: unknown) => x);
      expect(e).toBeInstanceOf(StepError);
      expect((e as Error).message).toMatch(
        /files\/bundle does not match its own list \(manifests\/calico-3\.28\.2\.yaml: sha256 [0-9a-f]{64}, listed as 43e92a52/,
      );
      expect(w.log).toEqual([]);
    } finally {
      writeFileSync(path, good);
    }
  });

  it('a file that arrives damaged fails the check on the host, and bundle.json is not written', async () => {
    const w = world({});
    const upload = w.files.set.bind(w.files);
    w.files.set = (k: string, v: string) => upload(k, k === 'SHA256SUMS' ? v : 'damaged');
    const e = await w.run().catch((x: unknown) => x);
    expect((e as Error).message).toMatch(/step "upload the bundle .*" exited 1/);
    expect(w.log.at(-1)).toBe('exec sha256sum --quiet --strict -c SHA256SUMS');
  });
});
