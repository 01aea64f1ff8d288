import { defineConfig } from 'vitest/config';

// End-to-end tests against the host lab (real namespaces, systemd, sshd), and the Kubernetes
// stand-ins' own tests (real etcd on loopback, private namespaces). Needs root.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts', 'test/lab/standins/**/*.test.ts'],
    globalSetup: ['test/e2e/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 900_000,
  },
});
