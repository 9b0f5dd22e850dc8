/**
 * Log records to a collector that refuses every connection: shutdown gives
 * them up within shutdownTimeoutMillis and says so once, and the program
 * goes on after shutdown() and exits normally (a retry wait must not let the
 * process end in the middle of shutdown with an unsettled await).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePorts } from '../e2e/support/processes.js';
import { runNodeScript } from '../helpers/run-node.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/logs-collector-down.ts', import.meta.url));

describe('log records with the collector down', () => {
  it('ends shutdown within its bound, says what was not sent, and exits 0 after shutdown() returns', async () => {
    const [port] = (await freePorts(1)) as [number];
    const started = Date.now();
    const run = await runNodeScript(FIXTURE, {
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_EXPORTER_OTLP_TIMEOUT: '500' },
      timeoutMs: 60_000,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('finished');
    expect(run.stderr).toMatch(/log records? (was|were) not sent to the collector \(shutdownTimeoutMillis ran out first\)/);
    // 1.5 s of pipeline, at most 3 s of shutdown, and the start-up of a Node process with tsx.
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 90_000);
});
