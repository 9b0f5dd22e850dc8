/**
 * No secret a user can put into stage names, labels, thrown values, crash
 * messages, the command line or the endpoint URL leaves the process: not in the audit files,
 * not in stagetrace's console lines, not in any OTLP trace, metric or log
 * body a real receiver gets.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runNodeScript } from '../helpers/run-node.js';
import { OtlpReceiver } from './otlp-receiver.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/secrets-everywhere.ts', import.meta.url));
const SECRETS = [
  'STAGE-PASSWORD',
  'STAGE-TOKEN',
  'LABEL-PASSWORD',
  'OBJECT-PASSWORD',
  'CRASH-PASSWORD',
  'ARGV-PASSWORD',
  'ENDPOINT-PASSWORD',
];
const dir = mkdtempSync(join(tmpdir(), 'stagetrace-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('secrets never leave the process', () => {
  it('stage names, labels, thrown objects, crash reasons and the command line are redacted everywhere', async () => {
    const receiver = await OtlpReceiver.start();
    try {
      const run = await runNodeScript(FIXTURE, {
        args: ['--db-password=ARGV-PASSWORD'],
        env: {
          // Credentials in the endpoint URL reach the collector, and nowhere else.
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url.replace('://', '://pipeline:ENDPOINT-PASSWORD@'),
          STAGETRACE_LOG_DIR: dir,
          STAGETRACE_COLORS: 'false',
          STAGETRACE_SHUTDOWN_TIMEOUT_MS: '3000',
        },
        timeoutMs: 60_000,
      });
      // The uncaught exception still ends the process as Node would.
      expect(run.code).toBe(1);
      const files = readdirSync(dir).map((name) => [name, readFileSync(join(dir, name), 'utf8')] as const);
      expect(files.map(([name]) => name).sort()).toEqual([
        'enhanced_processing.log',
        'error_details.log',
        'otlp_delivery.jsonl',
        'performance_metrics.jsonl',
        'structured_processing.jsonl',
      ]);
      // stagetrace's own console lines (Node prints the crash itself, as it would without stagetrace).
      const consoleLines = run.stderr.split('\n').filter((line) => /^\[\d{4}-\d{2}-\d{2} /.test(line));
      expect(consoleLines.length).toBeGreaterThan(5);
      const bodies = receiver.requests.map((r) => r.raw.toString('utf8'));
      expect(receiver.requests.some((r) => r.path === '/v1/traces')).toBe(true);
      expect(receiver.requests.some((r) => r.path === '/v1/metrics')).toBe(true);
      // The messages went as log records too, the labelled one with its redacted stage.
      const logBodies = receiver.requests.filter((r) => r.path === '/v1/logs').map((r) => r.raw.toString('utf8'));
      expect(logBodies.join('\n')).toContain('"labelled"');
      expect(logBodies.join('\n')).toContain('host.example.test/y');
      for (const secret of SECRETS) {
        for (const [name, text] of files) expect(text, `${secret} in ${name}`).not.toContain(secret);
        for (const line of consoleLines) expect(line, `${secret} on the console`).not.toContain(secret);
        for (const body of bodies) expect(body, `${secret} in an OTLP body`).not.toContain(secret);
      }
      // Redacted, not dropped: what is not secret stays readable.
      const human = files.find(([name]) => name === 'enhanced_processing.log')?.[1] ?? '';
      expect(human).toContain('api.example.test/x');
      expect(human).toContain('[REDACTED]');
      expect(bodies.join('\n')).toContain('process.command');
    } finally {
      await receiver.close();
    }
  }, 90_000);
});
