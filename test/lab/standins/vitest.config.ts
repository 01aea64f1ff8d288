import { defineConfig } from 'vitest/config';

// The stand-ins' own tests on this machine (root; loopback and private network namespaces only):
//   npx vitest run --config test/lab/standins/vitest.config.ts
export default defineConfig({
  test: {
    include: ['test/lab/standins/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
