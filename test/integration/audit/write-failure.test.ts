/**
 * A failing audit write never stops the OTLP forward, and is counted.
 *
 * A real I/O failure inside AuditFile: the rotated generation that rotation
 * must delete is a non-empty directory, so every write that needs a
 * rotation fails with a real fs error until it is removed. (The audit files
 * and the OTLP forward share no code path: the files are written from the
 * session's records, the forward from ended spans.)
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { forceFlush, getSessionSummary, logProgress, shutdown, start, traceMonth, traceStage } from '../../../src/index.js';
import { captureStderr } from '../../helpers/capture-stderr.js';
import { OtlpReceiver } from '../otlp-receiver.js';
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
      expect(during.otlp).toEqual({ dropped_spans: 0, dropped_log_records: 0, export_errors: 0 });
      // Said once, however many writes failed.
      const said = capture.lines().filter((l) => l.includes(STRUCTURED));
      expect(said).toEqual([
        expect.stringMatching(
          /cannot write structured_processing\.jsonl \(.*\); its records are kept in memory and retried\. Further failures are counted/,
        ),
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
});
