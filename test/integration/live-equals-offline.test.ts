/**
 * The live summary equals the offline report in a real process, for the runs where the two paths have the most to
 * disagree about: a collector down for the whole run, one refusing with 503 and then accepting, a webhook alert that
 * cannot be posted, a memory threshold crossed. getSessionSummary() after shutdown() is printed by the child;
 * summarizeAuditLog() reads the folder it wrote.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summarizeAuditLog } from '../../src/report/summarize-audit-log.js';
import type { SessionSummary } from '../../src/stats/session-summary.js';
import { REPO_ROOT, runNodeScript } from '../helpers/run-node.js';
import { OtlpReceiver } from './otlp-receiver.js';

const SCRIPT = join(REPO_ROOT, 'test', 'integration', 'fixtures', 'summary-pipeline.ts');

let receiver: OtlpReceiver;
let absentUrl: string;
let root: string;
beforeAll(async () => {
  receiver = await OtlpReceiver.start();
  const closed = await OtlpReceiver.start();
  absentUrl = closed.url;
  await closed.close();
  root = mkdtempSync(join(tmpdir(), 'stagetrace-live-offline-'));
});
afterAll(async () => {
  await receiver.close();
  rmSync(root, { recursive: true, force: true });
});

/** Runs the pipeline with `env` in a child; returns the summary it printed and the one rebuilt from its files. */
async function bothSummaries(name: string, env: Record<string, string>, whileHeld?: (release: () => void) => Promise<void>) {
  const logDir = join(root, name);
  const hold = join(root, `${name}.go`);
  const running = runNodeScript(SCRIPT, {
    env: {
      STAGETRACE_LOG_DIR: logDir,
      STAGETRACE_CONSOLE: 'false',
      STAGETRACE_HOST_METRICS: 'false',
      STAGETRACE_SHUTDOWN_TIMEOUT_MS: '1500',
      ...(whileHeld ? { HOLD_UNTIL_FILE: hold } : {}),
      ...env,
    },
    timeoutMs: 60_000,
  });
  if (whileHeld) await whileHeld(() => writeFileSync(hold, ''));
  const run = await running;
  expect(run.code, run.stderr).toBe(0);
  const line = run.stdout.split('\n').find((l) => l.startsWith('SUMMARY '));
  expect(line, run.stdout).toBeDefined();
  const live = JSON.parse((line as string).slice('SUMMARY '.length)) as SessionSummary;
  const offline = await summarizeAuditLog(logDir);
  return { live, offline: JSON.parse(JSON.stringify(offline)) as SessionSummary, stderr: run.stderr };
}

describe('getSessionSummary() after shutdown() equals summarizeAuditLog() on the files, in a real process', () => {
  it('with the collector down for the whole run', async () => {
    const { live, offline } = await bothSummaries('down', { OTEL_EXPORTER_OTLP_ENDPOINT: absentUrl });
    expect(live.messages_by_level.WARNING).toBeGreaterThan(1);
    expect(live.otlp.dropped_spans).toBeGreaterThan(0);
    expect(offline).toEqual(live);
  });

  it('with the collector answering 503, then accepting', async () => {
    receiver.setMode('unavailable');
    const { live, offline } = await bothSummaries('refusing', { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url }, async (release) => {
      await receiver.waitFor(() => receiver.requests.some((r) => r.path === '/v1/traces' && r.status === 503), 30_000, 'a refused export');
      receiver.setMode('ok');
      release();
    });
    // The exporter's own retry may have carried the refused batch over the switch: what counts is that both agree.
    expect(Object.keys(live.months)).toEqual(['2024-01', '2024-02', '2024-03']);
    expect(offline).toEqual(live);
  });

  it('with a webhook alert that cannot be posted and a memory threshold crossed', async () => {
    const { live, offline } = await bothSummaries('alerts-memory', {
      STAGETRACE_ALERTS_WEBHOOK_URL: `${absentUrl}/hook`,
      STAGETRACE_ALERTS_MIN_INTERVAL_MS: '1',
      STAGETRACE_MEMORY_WARNING_MB: '1',
      STAGETRACE_MEMORY_CRITICAL_MB: '100000',
    });
    expect(live.alerts.failures).toBeGreaterThan(0);
    expect(live.memory.crossings.length).toBeGreaterThan(0);
    expect(offline).toEqual(live);
  });
});
