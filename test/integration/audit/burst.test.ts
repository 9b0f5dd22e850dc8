/**
 * A burst of 200,000 stages: the OTLP forward cannot keep up, its bounded
 * queue fills and drops the newest (counted), while the audit files drop
 * nothing — every dropped span can still be sent by `stagetrace replay`.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getSessionSummary, readAuditLog, type SessionSummary, shutdown, start, traceMonth, traceStage } from '../../../src/index.js';
import { captureStderr } from '../../helpers/capture-stderr.js';
import { OtlpReceiver } from '../otlp-receiver.js';
import { tempDir } from './audit-support.js';

const root = tempDir('burst');
afterAll(() => root.remove());

describe('a burst of 200,000 stage spans', () => {
  it('writes every start and end record while the OTLP forward drops what it cannot take', async () => {
    const receiver = await OtlpReceiver.start();
    const dir = join(root.dir, 'logs');
    const MONTHS = 20;
    const PER_MONTH = 10_000;
    const TOTAL = MONTHS * PER_MONTH;
    let summary: SessionSummary;
    const capture = captureStderr();
    try {
      await start({ logDir: dir, console: false, handleExit: false, hostMetrics: false, otlp: { endpoint: receiver.url } });
      for (let m = 1; m <= MONTHS; m++) {
        // Synchronous stages: far faster than any collector can take them.
        await traceMonth(`2023-${String((m % 12) + 1).padStart(2, '0')}`, () => {
          for (let s = 0; s < PER_MONTH; s++) traceStage('transform', () => s);
        });
      }
      summary = getSessionSummary();
      await shutdown();
    } finally {
      capture.restore();
      await receiver.close();
    }

    let starts = 0;
    let ends = 0;
    let monthEnds = 0;
    for await (const r of readAuditLog(dir)) {
      if (r.record_type === 'stage') {
        if (r.stage_event === 'start') starts++;
        else if (r.stage_event === 'end') ends++;
      } else if (r.record_type === 'month' && r.stage_event === 'end') monthEnds++;
    }
    expect(ends).toBe(TOTAL);
    expect(starts).toBe(TOTAL);
    expect(monthEnds).toBe(MONTHS);
    let performanceStages = 0;
    for await (const p of readAuditLog(dir, { file: 'performance' })) if (p.record_type === 'stage') performanceStages++;
    expect(performanceStages).toBe(TOTAL);

    // The forward could not keep up, and says so in the summary and once on stderr.
    expect(summary.otlp.dropped_spans).toBeGreaterThan(0);
    expect(summary.audit.write_errors).toBe(0);
    expect(summary.totals.stage_executions).toBe(TOTAL);
    expect(capture.lines().filter((l) => /OTLP/.test(l)).length).toBeLessThanOrEqual(2); // at most one per drop reason
  }, 120_000);
});
