import { defineConfig } from 'vitest/config';

// Unit tests: pure, no hosts, no root. Lab and end-to-end tests live in vitest.e2e.config.ts.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // test/lab/*.test.ts are unit tests of the lab's own code; its stand-ins' tests need the lab.
    exclude: ['test/e2e/**', 'test/lab/standins/**', 'node_modules/**'],
    testTimeout: 20_000,
    reporters: ['default', './test/support/no-silent-skips.ts'],
  },
});
