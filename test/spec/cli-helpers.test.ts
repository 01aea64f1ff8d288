// loadSpecOrExit, the helper every spec-reading command uses, against a stand-in command that
// records what it prints and turns exit() into an exception as oclif does.

import { fileURLToPath } from 'node:url';
import type { Command } from '@oclif/core';
import { describe, expect, it } from 'vitest';
import { countSummary, loadSpecOrExit } from '../../src/cli/spec.js';

class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

function fakeCommand(): { cmd: Command; stderr: string[] } {
  const stderr: string[] = [];
  const cmd = {
    logToStderr: (m: string) => stderr.push(m),
    exit: (code: number) => {
      throw new Exit(code);
    },
  } as unknown as Command;
  return { cmd, stderr };
}

const fixture = (p: string): string => fileURLToPath(new URL(`../fixtures/specs/${p}`, import.meta.url));

describe('loadSpecOrExit', () => {
  it('returns the spec and prints warnings', async () => {
    const { cmd, stderr } = fakeCommand();
    const spec = await loadSpecOrExit(cmd, fixture('valid/one-lb.yaml'));
    expect(spec.name).toBe('one-lb');
    expect(stderr).toHaveLength(1);
    expect(stderr[0]).toMatch(/one-lb\.yaml:6:45: hosts\[0\]\.roles\[0\]: warning: a single load-balancer host/);
  });

  it('prints every diagnostic and exits 1 on errors', async () => {
    const { cmd, stderr } = fakeCommand();
    const file = fixture('invalid/service-subnet-too-large.yaml');
    await expect(loadSpecOrExit(cmd, file)).rejects.toEqual(new Exit(1));
    expect(stderr).toEqual([
      `${file}:6:27: hosts[0].address: host address 10.0.0.11 lies inside serviceSubnet 10.0.0.0/8: the host network must not overlap it`,
      `${file}:8:18: kubernetes.serviceSubnet: 10.0.0.0/8 is too large: kube-apiserver accepts an IPv4 service range of /12 or smaller`,
      `${file}: invalid (2 errors, 0 warnings)`,
    ]);
  });

  it('counts in plain words', () => {
    expect(countSummary([])).toBe('0 errors, 0 warnings');
  });
});
