import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Node.js and `npm ci` are all this suite needs (test/tooling/no-external-programs.test.ts holds it to
    // that); what needs the real stack, Chromium or tmux is in test/e2e: `npm run test:e2e`.
    exclude: ['**/node_modules/**', 'dist/**', 'bench/**', '.bench-tmp/**', 'tmp-smoke/**', 'test/e2e/**'],
    // Separate processes: tests start real child processes, and the
    // OpenTelemetry globals one file registers must not leak into the next.
    pool: 'forks',
    // Generous for a loaded 2-core machine (property tests of 1,000 runs take tens of
    // seconds there); integration tests that start
    // processes or install packages pass their own, longer timeout per test.
    testTimeout: 120_000,
    hookTimeout: 30_000,
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      reporter: ['text-summary', 'text'],
      reportsDirectory: 'coverage',
      // The floor CI holds src/ to (`npm run test:coverage`). In-process coverage does not count child
      // processes, so the CLI, the reports and the progress display have in-process tests of their own
      // besides the child-process ones; new code comes with in-process tests that keep src/ above 90 %.
      thresholds: { lines: 90 },
    },
  },
});
