/**
 * Log records to a collector that refuses every connection: shutdown gives
 * them up within shutdownTimeoutMillis and says so once, and the program
 * goes on after shutdown() and exits normally (a retry wait must not let the
 * process end in the middle of shutdown with an unsettled await).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { summarizeAuditLog } from '../../src/index.js';
import { freePorts } from '../e2e/support/processes.js';
import { runNodeScript } from '../helpers/run-node.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/logs-collector-down.ts', import.meta.url));

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('log records with the collector down', () => {
  it('ends shutdown within its bound, says what was not sent, counts it in the summary, and exits 0 after shutdown() returns', async () => {
    const [port] = (await freePorts(1)) as [number];
    dir = mkdtempSync(join(tmpdir(), 'stagetrace-logs-down-'));
    const started = Date.now();
    const run = await runNodeScript(FIXTURE, {
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_EXPORTER_OTLP_TIMEOUT: '500', LOG_DIR: dir },
      timeoutMs: 60_000,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('finished');
    expect(run.stderr).toMatch(/log records? (was|were) not sent to the collector \(shutdownTimeoutMillis ran out first\)/);
    // 1.5 s of pipeline, at most 3 s of shutdown, and the start-up of a Node process with tsx.
    expect(Date.now() - started).toBeLessThan(30_000);
    // Every message up to the session's end is a log record given up (the warnings shutdown writes after the
    // forward stopped are in the files only), and the summary says how many, live and from the files.
    const lines = readFileSync(join(dir, 'structured_processing.jsonl'), 'utf8').split('\n');
    const ended = lines.findIndex((line) => /"message":"Session \S+ ended"/.test(line));
    const messages = lines.slice(0, ended + 1).filter((line) => line.includes('"message_seq"')).length;
    expect(messages).toBeGreaterThan(0);
    const final = JSON.parse(run.stdout.match(/^FINAL_OTLP (.*)$/m)?.[1] ?? 'null') as { dropped_log_records: number } | null;
    expect(final?.dropped_log_records).toBe(messages);
    const offline = await summarizeAuditLog(dir);
    expect(offline.otlp.dropped_log_records).toBe(messages);
  }, 90_000);
});
