import { defineConfig } from 'vitest/config';

/**
 * `npm run test:e2e`: the end-to-end suite against the real Collector, Jaeger
 * and Prometheus (scripts/install-stack-tools.sh provides them). Kept out of
 * `npm test`, which needs none of them.
 */
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    pool: 'forks',
    // One file at a time: the stack's processes are heavy for a 2-core machine.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 300_000,
  },
});
