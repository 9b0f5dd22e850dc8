import { defineConfig } from 'vitest/config';

/**
 * `npm run test:e2e`: everything that needs a program besides Node.js — the
 * end-to-end suite against the real Collector, Jaeger and Prometheus
 * (scripts/install-stack-tools.sh provides them), the HTML report in Debian's
 * Chromium and the progress line in a tmux pane (checked first by
 * test/e2e/support/debian-tools.ts). Kept out of `npm test`, which needs none
 * of them.
 */
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    globalSetup: ['test/e2e/support/debian-tools.ts'],
    pool: 'forks',
    // One file at a time: the stack's processes are heavy for a 2-core machine.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 300_000,
  },
});
