import { defineConfig } from 'vitest/config';

// Unit tests: pure, no hosts, no root. Lab and end-to-end tests live in vitest.e2e.config.ts.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'test/lab/**', 'node_modules/**'],
    testTimeout: 20_000,
    reporters: ['default', './test/support/no-silent-skips.ts'],
  },
});
