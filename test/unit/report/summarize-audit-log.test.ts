import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ErrorInfo } from '../../../src/model/error-info.js';
import type { MessageRecord, ScopeEndRecord, ScopeStartRecord } from '../../../src/model/records.js';
import { LineReader } from '../../../src/report/line-reader.js';
import { type SkippedLine, summarizeAuditLog } from '../../../src/report/summarize-audit-log.js';
import { SessionStats } from '../../../src/stats/session-stats.js';
import { buildSessionSummary, type LiveFacts } from '../../../src/stats/session-summary.js';
import { writeRecords } from '../../helpers/audit-jsonl.js';
import { end, errorInfo, MB, memoryMessage, message, ref, sessionEnded, sessionStarted, start, T0 } from '../../helpers/records.js';

type AnyRecord = ScopeStartRecord | ScopeEndRecord | MessageRecord;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stagetrace-summarize-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const TELEMETRY = {
  auditWriteErrors: 0,
  auditLostRecords: 1,
  otlpDroppedSpans: 2,
  otlpDroppedLogRecords: 3,
  otlpExportErrors: 1,
  alertFailures: 0,
};

/** What the live session hands buildSessionSummary after shutdown. */
function liveSummary(records: AnyRecord[], sessionId: string) {
  const first = records[0] as MessageRecord;
  const stats = new SessionStats(first.atMs);
  for (const r of records) {
    if (r.type === 'start') stats.onStart(r);
    else if (r.type === 'end') stats.onEnd(r);
    else stats.onMessage(r);
  }
  const facts: LiveFacts = {
    sessionId,
    serviceName: 'nightly-etl',
    nowMs: T0 + 1e7,
    openScopes: 0,
    currentRssBytes: 4000 * MB,
    telemetry: TELEMETRY,
    memoryThresholds: { warningBytes: 700 * MB, criticalBytes: 900 * MB },
    slowThresholds: { defaultSeconds: 60, stages: new Map([['download', 5]]) },
  };
  return buildSessionSummary(stats, facts);
}

interface StageSpec {
  name: string;
  seconds: number;
  outcome: 'success' | 'failure' | 'interrupted';
  slow: boolean;
  rssMb: number;
  peakMb: number;
}

/** A whole session as its records, markers included, in the order the session writes them. */
function sessionRecords(sessionId: string, months: { month: string; stages: StageSpec[]; crossing: boolean }[], at = T0): AnyRecord[] {
  const records: AnyRecord[] = [];
  records.push(sessionStarted(at, { sessionId, stageThresholds: { download: 5 }, rssMb: 80.04 }));
  let t = at + 0.731;
  for (const m of months) {
    const monthRef = ref('month', 'month', m.month, undefined, sessionId);
    const monthStart = t;
    records.push(start(monthRef, t, 90.06, { 'stagetrace.context.source': 'bucket' }));
    t += 1.3;
    let failed: StageSpec | undefined;
    for (const s of m.stages) {
      const r = ref('stage', s.name, m.month, monthRef, sessionId);
      records.push(start(r, t, s.rssMb, { 'stagetrace.context.rows': 10 }));
      if (m.crossing) {
        records.push(
          memoryMessage(
            t + 0.5,
            'Memory warning: RSS 701.3 MB reached the warning threshold of 700 MB',
            { level: 'warning', direction: 'up', rssMb: 701.3, thresholdMb: 700 },
            { level: 'WARNING', scope: r },
          ),
        );
      }
      records.push(message(t + 0.9, `working on ${s.name}`, { scope: r, level: 'DEBUG', rssMb: s.rssMb }));
      records.push(
        end(r, t, s.seconds, {
          outcome: s.outcome,
          slow: s.slow,
          rssEndMb: s.rssMb,
          rssPeakMb: s.peakMb,
          error: s.outcome === 'failure' ? errorInfo('RangeError', `bad row in ${s.name}`) : undefined,
          reason: s.outcome === 'interrupted' ? 'SIGTERM' : undefined,
        }),
      );
      if (s.outcome !== 'success') failed ??= s;
      t += s.seconds * 1000 + 0.37;
    }
    const outcome = failed ? failed.outcome : 'success';
    records.push(
      end(monthRef, monthStart, (t - monthStart) / 1000, {
        outcome,
        error: outcome === 'failure' ? errorInfo('RangeError', `bad row in ${failed?.name}`) : undefined,
        reason: outcome === 'interrupted' ? 'SIGTERM' : undefined,
        rssEndMb: 95.55,
      }),
    );
    if (outcome !== 'success')
      records.push(message(t + 1, `Month ${m.month} failed`, { level: 'ERROR', error: errorInfo('RangeError', 'x') }));
    t += 5;
  }
  records.push(sessionEnded(t + 3, TELEMETRY, { sessionId, rssMb: 99.99 }));
  return records;
}

const stageSpec: fc.Arbitrary<StageSpec> = fc.record({
  name: fc.oneof(fc.constantFrom('download', 'process', 'upload'), fc.string({ minLength: 1, maxLength: 12 })),
  seconds: fc.oneof(
    fc.double({ min: 0, max: 5000, noNaN: true }),
    fc.integer({ min: 0, max: 10_000_000 }).map((us) => us / 1e6),
  ),
  outcome: fc.constantFrom('success', 'success', 'success', 'failure', 'interrupted'),
  slow: fc.boolean(),
  rssMb: fc.double({ min: 1, max: 64_000, noNaN: true }),
  peakMb: fc.double({ min: 1, max: 64_000, noNaN: true }),
});

describe('summarizeAuditLog', () => {
  it('rebuilds, from the files alone, the summary the live session built: field for field', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ stages: fc.array(stageSpec, { minLength: 1, maxLength: 6 }), crossing: fc.boolean() }), {
          minLength: 1,
          maxLength: 5,
        }),
        async (months) => {
          const run = mkdtempSync(join(dir, 'run-'));
          const records = sessionRecords(
            'prop-session',
            months.map((m, i) => ({ ...m, month: `2024-${String(i + 1).padStart(2, '0')}` })),
          );
          writeRecords(run, 'prop-session', records);
          expect(await summarizeAuditLog(run)).toEqual(liveSummary(records, 'prop-session'));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('equals the live summary for parallel and retried months and errors with a cause chain', async () => {
    const attempt = fc.record({
      month: fc.constantFrom('2024-01', '2024-02', '2024-03'),
      offsetMs: fc.oneof(fc.integer({ min: 0, max: 30_000 }), fc.double({ min: 0, max: 30_000, noNaN: true })),
      stages: fc.array(
        fc.record({
          name: fc.oneof(fc.constantFrom('download', 'process'), fc.string({ minLength: 1, maxLength: 8 })),
          ms: fc.oneof(fc.integer({ min: 0, max: 9_000 }), fc.double({ min: 0, max: 9_000, noNaN: true })),
          failed: fc.boolean(),
          causes: fc.array(fc.record({ type: fc.string({ maxLength: 10 }), message: fc.string({ maxLength: 30 }) }), { maxLength: 3 }),
        }),
        { minLength: 1, maxLength: 4 },
      ),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(attempt, { minLength: 1, maxLength: 6 }), async (attempts) => {
        const timed: { at: number; record: AnyRecord }[] = [];
        for (const a of attempts) {
          const monthRef = ref('month', 'month', a.month, undefined, 'par');
          const at0 = T0 + 1000 + a.offsetMs;
          timed.push({ at: at0, record: start(monthRef, at0) });
          let t = at0 + 0.5;
          let failure: ErrorInfo | undefined;
          for (const st of a.stages) {
            const r = ref('stage', st.name, a.month, monthRef, 'par');
            const error = st.failed
              ? { ...errorInfo('FetchError', `HTTP 503 in ${st.name}`), causes: st.causes.map((c) => ({ ...c, stack: undefined })) }
              : undefined;
            timed.push({ at: t, record: start(r, t) });
            const e = end(r, t, Math.round(st.ms * 1000) / 1e6, { outcome: st.failed ? 'failure' : 'success', error });
            timed.push({ at: e.endMs, record: e });
            failure ??= error;
            t = e.endMs + 0.25;
          }
          const e = end(monthRef, at0, (t - at0) / 1000, { outcome: failure ? 'failure' : 'success', error: failure });
          timed.push({ at: e.endMs, record: e });
        }
        // Stable: a record's own order is kept among records of the same instant.
        timed.sort((x, y) => x.at - y.at);

        const last = timed[timed.length - 1]?.at ?? T0;
        const records: AnyRecord[] = [
          sessionStarted(T0, { sessionId: 'par' }),
          ...timed.map((x) => x.record),
          sessionEnded(last + 10, TELEMETRY, { sessionId: 'par' }),
        ];
        const run = mkdtempSync(join(dir, 'run-'));
        writeRecords(run, 'par', records);
        const live = liveSummary(records, 'par');
        expect(await summarizeAuditLog(run)).toEqual(live);
      }),
      { numRuns: 40 },
    );
  });

  it('reads the latest session by default, and any other by its id', async () => {
    const older = sessionRecords('older', [
      { month: '2024-01', stages: [{ name: 'a', seconds: 1, outcome: 'success', slow: false, rssMb: 1, peakMb: 1 }], crossing: false },
    ]);
    const newer = sessionRecords(
      'newer',
      [{ month: '2024-02', stages: [{ name: 'b', seconds: 2, outcome: 'failure', slow: true, rssMb: 2, peakMb: 3 }], crossing: false }],
      T0 + 3_600_000,
    );
    writeRecords(dir, 'older', older);
    writeRecords(dir, 'newer', newer);
    expect(await summarizeAuditLog(dir)).toEqual(liveSummary(newer, 'newer'));
    expect(await summarizeAuditLog(dir, { session: 'older' })).toEqual(liveSummary(older, 'older'));
  });

  it('skips a torn last line with a note and summarises the rest', async () => {
    const records = sessionRecords('s', [
      { month: '2024-01', stages: [{ name: 'a', seconds: 1, outcome: 'success', slow: false, rssMb: 1, peakMb: 1 }], crossing: false },
    ]);
    writeRecords(dir, 's', records);
    writeFileSync(join(dir, 'structured_processing.jsonl'), '{"schema_version":1,"record_type":"stage","timestamp":"2025-01-0', {
      flag: 'a',
    });
    const skipped: SkippedLine[] = [];
    const summary = await summarizeAuditLog(dir, { session: 's', onSkippedLine: (line) => skipped.push(line) });
    expect(summary.stages.a?.executions).toBe(1);
    expect(skipped).toEqual([
      expect.objectContaining({ file: join(dir, 'structured_processing.jsonl'), line: records.length + 1, torn: true }),
    ]);
    expect(skipped[0]?.reason).toMatch(/^torn last line/);
  });

  it('reads across rotated generations, oldest first', async () => {
    const records = sessionRecords('rotated', [
      { month: '2024-01', stages: [{ name: 'a', seconds: 1, outcome: 'success', slow: false, rssMb: 1, peakMb: 1 }], crossing: false },
      { month: '2024-02', stages: [{ name: 'a', seconds: 3, outcome: 'success', slow: true, rssMb: 1, peakMb: 9 }], crossing: false },
    ]);
    const whole = mkdtempSync(join(dir, 'whole-'));
    writeRecords(whole, 'rotated', records);
    const split = records.findIndex((r) => r.type === 'start' && r.scope.month === '2024-02');
    const rotated = mkdtempSync(join(dir, 'rotated-'));
    writeRecords(rotated, 'rotated', records.slice(0, split));
    for (const name of ['structured_processing.jsonl', 'performance_metrics.jsonl']) {
      const { renameSync } = await import('node:fs');
      renameSync(join(rotated, name), join(rotated, `${name}.1`));
    }
    writeRecords(rotated, 'rotated', records.slice(split));
    expect(await summarizeAuditLog(rotated)).toEqual(await summarizeAuditLog(whole));
  });

  it('refuses a record of a newer schema version, naming the file and line', async () => {
    writeRecords(dir, 's', sessionRecords('s', []));
    writeFileSync(join(dir, 'structured_processing.jsonl'), '{"schema_version":4,"session_id":"s"}\n', { flag: 'a' });
    await expect(summarizeAuditLog(dir, { session: 's' })).rejects.toMatchObject({
      kind: 'newer-schema',
      message: `${join(dir, 'structured_processing.jsonl')}:3 has schema_version 4, newer than this reader's 3: upgrade stagetrace to read it.`,
    });
  });

  it('says clearly what is missing: the folder, the files, the session', async () => {
    await expect(summarizeAuditLog(join(dir, 'nope'))).rejects.toMatchObject({
      kind: 'missing-folder',
      message: expect.stringContaining('no folder'),
    });
    await expect(summarizeAuditLog(dir)).rejects.toMatchObject({
      kind: 'no-records',
      message: expect.stringContaining('no structured_processing.jsonl'),
    });
    writeRecords(dir, 's', sessionRecords('s', []));
    await expect(summarizeAuditLog(dir, { session: 'other' })).rejects.toMatchObject({
      kind: 'unknown-session',
      message: `no session "other" in ${dir}: \`stagetrace sessions ${dir}\` lists the sessions there.`,
    });
  });

  it('says which file it cannot read and why', async () => {
    mkdirSync(join(dir, 'structured_processing.jsonl'));
    await expect(summarizeAuditLog(dir, { session: 's' })).rejects.toMatchObject({
      kind: 'unreadable',
      message: `cannot read ${join(dir, 'structured_processing.jsonl')}: it is a folder, not a file`,
    });
  });
});

describe('LineReader', () => {
  it('returns exactly the lines of the files, whatever falls on a chunk boundary', async () => {
    const line = fc.string({ unit: 'grapheme', maxLength: 200 }).map((s) => s.replace(/\n/g, ' '));
    await fc.assert(
      fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 3 }), async (sample, padTo) => {
        // Long enough to span chunks: the sample repeated past a few megabytes when padTo > 0.
        const lines: string[] = [];
        const target = padTo * 1_100_000;
        let size = 0;
        do {
          for (const l of sample) {
            lines.push(l);
            size += Buffer.byteLength(l) + 1;
          }
        } while (size < target);
        const a = join(dir, `a-${padTo}.txt`);
        const b = join(dir, `b-${padTo}.txt`);
        writeFileSync(a, `${lines.join('\n')}\n`);
        writeFileSync(b, 'last line without newline');
        const reader = new LineReader([a, b]);
        const got: string[] = [];
        for (;;) {
          const next = reader.next();
          if (next !== undefined) {
            got.push(next);
            continue;
          }
          if (reader.done) break;
          await reader.fill();
        }
        expect(got).toEqual([...lines, 'last line without newline']);
        expect(reader.lastLineTorn).toBe(true);
      }),
      { numRuns: 12 },
    );
  });
});
