import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

// End-to-end tests against the host lab (real namespaces, systemd, sshd), and the Kubernetes
// stand-ins' own tests (real etcd on loopback, private namespaces). Needs root.

/**
 * One lab serves every file in turn, so the order decides how often a whole cluster is built:
 * the files on bare or light hosts first, then the one that builds ha-stacked from bare hosts,
 * then those sharing that converged cluster (support/cluster.ts), then the ones that need other
 * states (a cluster at an older version, the ha-external topology), then the stand-ins' own tests.
 */
const ORDER = [
  'test/e2e/lab.test.ts',
  'test/e2e/facts.test.ts',
  'test/e2e/plan.test.ts',
  'test/e2e/drift.test.ts',
  'test/e2e/apply.test.ts',
  'test/e2e/cluster.test.ts',
  'test/e2e/kubectl.test.ts',
  'test/e2e/drift-kinds.test.ts',
  'test/e2e/convergence.test.ts',
  'test/e2e/monitoring.test.ts',
  'test/e2e/cert-renewal.test.ts',
  'test/e2e/cluster-failure.test.ts',
  'test/e2e/scale.test.ts',
  'test/e2e/host-loss.test.ts',
  'test/e2e/replace.test.ts',
  'test/e2e/etcd-snapshot.test.ts',
  'test/e2e/bundle.test.ts',
  'test/e2e/upgrade.test.ts',
  'test/e2e/external.test.ts',
  'test/e2e/import.test.ts',
];

class LabOrder extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification): number => {
      const i = ORDER.findIndex((p) => f.moduleId.endsWith(p));
      return i === -1 ? ORDER.length : i;
    };
    return [...files].sort((a, b) => rank(a) - rank(b) || a.moduleId.localeCompare(b.moduleId));
  }
}

export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts', 'test/lab/standins/**/*.test.ts'],
    globalSetup: ['test/e2e/global-setup.ts'],
    fileParallelism: false,
    sequence: { sequencer: LabOrder },
    testTimeout: 300_000,
    reporters: ['default', './test/support/no-silent-skips.ts'],
    hookTimeout: 900_000,
  },
});
