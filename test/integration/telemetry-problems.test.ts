/**
 * stagetrace's own problems go through one reporter: said once per kind,
 * counted in the summary, and — when OTEL_LOG_LEVEL turns OpenTelemetry's
 * diag logger on — printed by diag alone, never twice.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runNodeScript } from '../helpers/run-node.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/two-months.ts', import.meta.url));
// A loopback port nothing listens on: every export is refused at once.
const DEAD_ENDPOINT = 'http://127.0.0.1:9';

/** The fixture against a dead collector, files off, console off, plus `env`. */
const runAgainstDeadCollector = (env: Record<string, string> = {}) =>
  runNodeScript(FIXTURE, {
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: DEAD_ENDPOINT,
      STAGETRACE_LOG_DIR: 'false',
      STAGETRACE_CONSOLE: 'false',
      STAGETRACE_HOST_METRICS: 'false',
      STAGETRACE_SHUTDOWN_TIMEOUT_MS: '2000',
      ...env,
    },
    timeoutMs: 30_000,
  });

/** The two things a dead collector makes stagetrace say: the failed export (spans kept for retry), and what shutdown could not deliver. */
const dropLines = (stderr: string) => stderr.split('\n').filter((l) => l.includes('did not take') || l.includes('could not be delivered'));

describe('telemetry problems', () => {
  it('a dead collector is said once on stderr, also with the console off', async () => {
    const run = await runAgainstDeadCollector();
    expect(run.code).toBe(0);
    expect(dropLines(run.stderr)).toEqual([
      expect.stringMatching(/\[WARNING\] stagetrace: the collector at http:\/\/127\.0\.0\.1:9 did not take \d+ spans? \(ECONNREFUSED/),
      expect.stringMatching(
        /\[WARNING\] stagetrace: \d+ spans? could not be delivered to http:\/\/127\.0\.0\.1:9 within shutdownTimeoutMillis \(2000 ms\); there are no audit files to replay them from/,
      ),
    ]);
  }, 40_000);

  it('with OTEL_LOG_LEVEL set, the same problem is printed once, through diag', async () => {
    const run = await runAgainstDeadCollector({ OTEL_LOG_LEVEL: 'warn' });
    expect(run.code).toBe(0);
    const lines = dropLines(run.stderr).concat(dropLines(run.stdout));
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).not.toMatch(/\[WARNING\]/);
  }, 40_000);
});
