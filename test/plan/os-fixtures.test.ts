// The operating systems hactl supports but the lab does not run (Ubuntu 22.04/24.04, Rocky 9/10),
// and the two it does (Debian 12/13), each planned exactly: the OS-specific facts
// (test/fixtures/os/*.txt, from each OS's public sources) laid over a bare host of the same
// family, then examples/single.yaml planned on it and compared with a golden plan. Regenerate after
// an intended change with `UPDATE_GOLDEN=1 npx vitest run --config vitest.config.ts test/plan`.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseProbeOutput } from '../../src/facts/parse.js';
import type { HostFacts } from '../../src/facts/types.js';
import { renderHuman } from '../../src/views/human.js';
import { bareFacts, planSpec, specFromText } from '../resources/helpers.js';

const OS_DIR = fileURLToPath(new URL('../fixtures/os/', import.meta.url));
const GOLDEN = `${OS_DIR}golden/`;
const EXAMPLE = fileURLToPath(new URL('../../examples/single.yaml', import.meta.url));
const update = process.env.UPDATE_GOLDEN === '1';

const OSES = ['debian-12', 'debian-13', 'ubuntu-22.04', 'ubuntu-24.04', 'rocky-9', 'rocky-10'];

/** A bare host of the fixture's family with the fixture's OS, kernel, package manager, install candidates and cgroup mode. */
function hostFacts(name: string, address: string): HostFacts {
  const req = { packages: [], units: [], files: [], sysctls: [], candidates: ['containerd', 'containerd.io'] };
  const os = parseProbeOutput(readFileSync(`${OS_DIR}${name}.txt`, 'utf8'), req);
  const base = bareFacts(os.packageManager === 'rpm' ? 'rocky9' : 'debian12', address);
  return {
    ...base,
    hostname: os.hostname,
    os: os.os,
    kernel: os.kernel,
    packageManager: os.packageManager,
    candidates: os.candidates,
    cgroupMode: os.cgroupMode,
  };
}

describe('supported operating systems, planned exactly', () => {
  const spec = specFromText(readFileSync(EXAMPLE, 'utf8'), EXAMPLE);
  for (const name of OSES) {
    it(name, () => {
      const facts = hostFacts(name, spec.hosts[0]!.address);
      expect(facts.os.id).toBe(name.split('-')[0]);
      const { plan } = planSpec(spec, new Map([[spec.hosts[0]!.name, facts]]));
      const text = renderHuman(plan, { color: false });
      const file = `${GOLDEN}${name}.plan.txt`;
      if (update) {
        mkdirSync(GOLDEN, { recursive: true });
        writeFileSync(file, text);
      }
      expect(existsSync(file), `missing golden plan ${file}; run with UPDATE_GOLDEN=1`).toBe(true);
      expect(text).toBe(readFileSync(file, 'utf8'));
    });
  }

  it('each OS gets the containerd config its containerd reads and the repository of its package manager', () => {
    const spec2 = specFromText(readFileSync(EXAMPLE, 'utf8'), EXAMPLE);
    const configVersion = (name: string) => {
      const { plan } = planSpec(spec2, new Map([[spec2.hosts[0]!.name, hostFacts(name, spec2.hosts[0]!.address)]]));
      const c = plan.changes.find((x) => x.kind === 'containerd')!;
      const a = c.attributes.find((x) => x.name === 'containerd.configVersion')!;
      const repo = plan.changes.find((x) => x.kind === 'package-sources')!.files.map((f) => f.path);
      return [a.after && 'value' in a.after ? a.after.value : undefined, repo.find((p) => p.includes('hactl-kubernetes'))];
    };
    expect(Object.fromEntries(OSES.map((n) => [n, configVersion(n)]))).toEqual({
      // Debian 12's containerd 1.6 and 13's 1.7 read version 2; Ubuntu's 2.2 version 3; Rocky
      // offers none until Docker's repository is configured: version 2, which 2.x also reads.
      'debian-12': [2, '/etc/apt/sources.list.d/hactl-kubernetes.list'],
      'debian-13': [2, '/etc/apt/sources.list.d/hactl-kubernetes.list'],
      'ubuntu-22.04': [3, '/etc/apt/sources.list.d/hactl-kubernetes.list'],
      'ubuntu-24.04': [3, '/etc/apt/sources.list.d/hactl-kubernetes.list'],
      'rocky-9': [2, '/etc/yum.repos.d/hactl-kubernetes.repo'],
      'rocky-10': [2, '/etc/yum.repos.d/hactl-kubernetes.repo'],
    });
  });
});
