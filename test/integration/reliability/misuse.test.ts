/**
 * Fault matrix, misuse rows: the API used the wrong way round, in real child
 * processes, each compared with the same pipeline run without stagetrace
 * (see matrix-support.ts).
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../audit/audit-support.js';
import { ADDED_DELAY_BOUND_MS, count, ownStderr, type Rec, ROW_TIMEOUT_MS, runFaultRow, type Trail } from './matrix-support.js';

const root = tempDir('faults-misuse');
afterAll(() => root.remove());
let n = 0;
const freshDir = () => join(root.dir, `run-${++n}`);

const ends = (trail: Trail): Rec[] => [...trail.ends.values()];
const startOrder = (trail: Trail) => trail.structured.filter((r) => r.stage_event === 'start').map((r) => r.stage);
const endOrder = (trail: Trail) => trail.structured.filter((r) => r.stage_event === 'end').map((r) => r.stage);

describe('fault matrix: misuse', () => {
  it.concurrent(
    'calls before start(): they run (console only), and start() takes over',
    async () => {
      await runFaultRow(
        {
          row: 'calls before start()',
          scenario: 'before-start',
          // What start() saw: one ordinary month. The calls before it were never the files' to hold.
          expected: { starts: 4, ends: 4, messages: [/^fetching https:\/\/etl:\[REDACTED\]@/] },
          boundMs: ADDED_DELAY_BOUND_MS,
          check(trail, { traced }) {
            expect(new Set(trail.structured.map((r) => r.month))).toEqual(new Set(['2024-01']));
            // Said once: what the calls before start() lose, and what to call.
            const own = ownStderr(traced.stderr);
            expect(own).toHaveLength(1);
            expect(own[0]).toMatch(/\(\) ran before start\(\): .* Call `await start\(\)`/);
          },
        },
        freshDir,
      );
    },
    ROW_TIMEOUT_MS,
  );

  it.concurrent(
    'shutdown() three times, two of them at once',
    async () => {
      await runFaultRow(
        {
          row: 'shutdown() twice',
          scenario: 'shutdown-twice',
          expected: { starts: 4, ends: 4 },
          boundMs: ADDED_DELAY_BOUND_MS,
          check(trail, { traced }) {
            expect(ends(trail).every((r) => r.outcome !== 'interrupted')).toBe(true);
            expect(ownStderr(traced.stderr)).toEqual([]);
            expect(trail.human).not.toMatch(/WARNING/);
          },
        },
        freshDir,
      );
    },
    ROW_TIMEOUT_MS,
  );

  it.concurrent(
    'shutdown() inside a running stage: the stage and the pipeline go on; the open scopes end once, as interrupted',
    async () => {
      await runFaultRow(
        {
          row: 'shutdown() during a running stage',
          scenario: 'shutdown-mid-stage',
          expected: { starts: 2, ends: 2 },
          boundMs: ADDED_DELAY_BOUND_MS,
          check(trail) {
            expect(ends(trail).map((r) => [r.stage, r.outcome])).toEqual([
              ['download', 'interrupted'],
              ['month_processing', 'interrupted'],
            ]);
            expect(count(trail.human, /interrupted after [\d.]+ seconds: shutdown\(\) was called while it was running/)).toBe(2);
            // The stage returning later, and what ran after shutdown(), wrote nothing more (stagetrace had stopped).
            expect(trail.structured.some((r) => r.month === '2024-02')).toBe(false);
            expect(trail.errorBlocks).toHaveLength(2);
          },
        },
        freshDir,
      );
    },
    ROW_TIMEOUT_MS,
  );

  it.concurrent(
    'stages ended in the opposite order of their start; a stage that outlives its month',
    async () => {
      await runFaultRow(
        {
          row: 'stages ended out of order',
          scenario: 'out-of-order',
          expected: { starts: 6, ends: 6, messages: ['b', 'a', 'b done', 'a done'] },
          boundMs: ADDED_DELAY_BOUND_MS,
          check(trail) {
            expect(startOrder(trail)).toEqual(['month_processing', 'outer', 'inner', 'outlives-month', 'by-name', 'other']);
            expect(endOrder(trail)).toEqual(['outer', 'inner', 'month_processing', 'outlives-month', 'by-name', 'other']);
            expect(ends(trail).every((r) => r.outcome === 'success')).toBe(true);
            // Each ended stage keeps its own month and trace.
            const month = ends(trail).find((r) => r.stage === 'month_processing') as Rec;
            for (const name of ['outer', 'inner', 'outlives-month']) {
              expect(ends(trail).find((r) => r.stage === name)).toMatchObject({ month: '2024-01', trace_id: month.trace_id });
            }
            expect(trail.human).not.toMatch(/WARNING/);
          },
        },
        freshDir,
      );
    },
    ROW_TIMEOUT_MS,
  );

  it.concurrent(
    'a handle ended three times (once with an error), and ended by hand inside traceStage',
    async () => {
      await runFaultRow(
        {
          row: 'a handle ended twice',
          scenario: 'end-twice',
          expected: { starts: 3, ends: 3 },
          boundMs: ADDED_DELAY_BOUND_MS,
          check(trail) {
            // The first end counts; the later ones change nothing and are said once.
            expect(ends(trail).map((r) => [r.stage, r.outcome])).toEqual([
              ['upload', 'success'],
              ['validate', 'success'],
              ['month_processing', 'success'],
            ]);
            expect(count(trail.human, /\[WARNING\] stagetrace: stage "upload" was ended twice; the second end\(\) is ignored\./)).toBe(1);
            expect(count(trail.human, /WARNING/)).toBe(1);
            expect(trail.errors).toBe('');
          },
        },
        freshDir,
      );
    },
    ROW_TIMEOUT_MS,
  );

  const MONTHS = 10_000;
  it.concurrent(
    `${MONTHS.toLocaleString('en')} months at once, each with an async and a sync stage`,
    async () => {
      await runFaultRow(
        {
          row: `${MONTHS.toLocaleString('en')} months in parallel`,
          scenario: 'parallel-months',
          env: { MONTHS: String(MONTHS) },
          expected: { starts: 3 * MONTHS, ends: 3 * MONTHS },
          // The work itself: 30,000 spans written to four files (about 45 µs of CPU per span on the
          // reference machine), against the same calls going nowhere.
          boundMs: 20_000,
          check(trail) {
            // Every stage landed in its own month's trace, however the awaits interleaved.
            const traceOfMonth = new Map<unknown, unknown>();
            for (const r of trail.starts.values()) if (r.record_type === 'month') traceOfMonth.set(r.month, r.trace_id);
            expect(traceOfMonth.size).toBe(MONTHS);
            const strays = [...trail.starts.values()].filter((r) => r.trace_id !== traceOfMonth.get(r.month));
            expect(strays).toEqual([]);
            expect(ends(trail).every((r) => r.outcome === 'success')).toBe(true);
            expect(trail.human).not.toMatch(/WARNING/);
          },
        },
        freshDir,
      );
    },
    2 * ROW_TIMEOUT_MS,
  );
});
