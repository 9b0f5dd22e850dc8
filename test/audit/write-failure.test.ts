/**
 * A failing audit write never stops the OTLP forward, and is counted.
 *
 * Making the disk itself fail mid-run is not practical in a test (a full
 * disk, or an fd closed underneath us that the OS may hand to someone else).
 * Two honest substitutes are used instead:
 * - a real I/O failure inside AuditFile: the rotated generation that
 *   rotation must delete is a non-empty directory, so every write that
 *   needs a rotation fails with a real fs error until it is removed;
 * - an AuditLog stand-in whose recordSpan throws, behind the real
 *   AuditSpanExporter and AuditSpanProcessor, forwarding to an
 *   InMemorySpanExporter.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditSpanExporter } from '../../src/export/audit-span-exporter.js';
import { AuditSpanProcessor } from '../../src/export/forward-span-processor.js';
import { forceFlush, getSessionSummary, logProgress, shutdown, start, traceMonth, traceStage } from '../../src/index.js';
import { captureStderr } from '../helpers/capture-stderr.js';
import { OtlpReceiver } from '../integration/otlp-receiver.js';
import { readJsonl, STRUCTURED, tempDir } from './audit-support.js';

const root = tempDir('write-failure');
afterAll(() => root.remove());

describe('a failing audit write', () => {
  it('does not stop the OTLP forward; the failure is counted and said once; the records are written once the disk recovers', async () => {
    const receiver = await OtlpReceiver.start();
    const dir = join(root.dir, 'logs');
    // maxFiles 2: rotation must remove `.2`, which is a non-empty directory.
    const blocker = join(dir, `${STRUCTURED}.2`);
    mkdirSync(join(blocker, 'in-the-way'), { recursive: true });
    const capture = captureStderr();
    try {
      await start({
        logDir: dir,
        durability: 'sync',
        maxFileBytes: 4096,
        maxFiles: 2,
        console: false,
        handleExit: false,
        hostMetrics: false,
        otlp: { endpoint: receiver.url },
      });
      const MONTHS = 3;
      const STAGES = 20;
      for (let m = 1; m <= MONTHS; m++) {
        await traceMonth(`2024-0${m}`, () => {
          for (let s = 0; s < STAGES; s++) traceStage(`stage-${s}`, () => logProgress(`month ${m} stage ${s}`));
        });
      }
      await forceFlush();
      const during = getSessionSummary();
      // The forward went on: every month and stage reached the collector.
      expect(receiver.spans().filter((s) => s.attributes['stagetrace.kind'] === 'stage')).toHaveLength(MONTHS * STAGES);
      expect(receiver.spans().filter((s) => s.attributes['stagetrace.kind'] === 'month')).toHaveLength(MONTHS);
      expect(during.audit.write_errors).toBeGreaterThan(0);
      expect(during.otlp).toEqual({ dropped_spans: 0, export_errors: 0 });
      // Said once, however many writes failed.
      const said = capture.lines().filter((l) => l.includes(STRUCTURED));
      expect(said).toEqual([
        expect.stringMatching(/internal error while writing structured_processing\.jsonl: .*further errors of this kind are not shown/),
      ]);

      // The disk recovers: the records kept for retry are written with the next record.
      rmSync(blocker, { recursive: true });
      logProgress('disk is back');
      await shutdown();
      const records = readJsonl(join(dir, STRUCTURED)).concat(
        readJsonl(join(dir, `${STRUCTURED}.1`)),
        readJsonl(join(dir, `${STRUCTURED}.2`)),
      );
      expect(records.some((r) => r.message === 'disk is back')).toBe(true);
    } finally {
      capture.restore();
      await shutdown();
      await receiver.close();
    }
  });

  it('an AuditLog that throws does not keep spans from the forward exporter; each failure is reported', async () => {
    const forwarded = new InMemorySpanExporter();
    const failures: unknown[] = [];
    const reporter = { auditFailed: (error: unknown) => failures.push(error), forwardDropped: () => undefined };
    const throwingLog = {
      recordSpan: () => {
        throw new Error('EIO: i/o error, write');
      },
      flushNow: () => undefined,
      close: () => undefined,
    };
    const exporter = new AuditSpanExporter(throwingLog as never, forwarded, reporter);
    const processor = new AuditSpanProcessor(exporter, reporter, { scheduledDelayMillis: 10 });
    const provider = new BasicTracerProvider({ spanProcessors: [processor] });
    const tracer = provider.getTracer('test');
    for (let i = 0; i < 25; i++) tracer.startSpan(`span-${i}`).end();
    await processor.forceFlush();
    expect(forwarded.getFinishedSpans().map((s) => s.name)).toEqual(Array.from({ length: 25 }, (_, i) => `span-${i}`));
    expect(failures).toHaveLength(25);
    expect(String(failures[0])).toMatch(/EIO/);
    await provider.shutdown();
    trace.disable();
  });
});
