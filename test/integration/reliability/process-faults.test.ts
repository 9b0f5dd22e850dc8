/**
 * Fault matrix, process rows: every way a pipeline process can be stopped
 * or crash, in real child processes killed by real signals, each compared
 * with the same pipeline run without stagetrace (see matrix-support.ts).
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../audit/audit-support.js';
import { ADDED_DELAY_BOUND_MS, count, type Rec, ROW_TIMEOUT_MS, runFaultRow, type Trail } from './matrix-support.js';

const root = tempDir('faults-process');
afterAll(() => root.remove());
let n = 0;
const freshDir = () => join(root.dir, `run-${++n}`);

const ends = (trail: Trail): Rec[] => [...trail.ends.values()];

/** Both scopes ended once as interrupted, for `reason`, each said once in the human and error logs. */
function interruptedOnce(trail: Trail, reason: RegExp): void {
  expect(ends(trail).map((r) => [r.stage, r.outcome])).toEqual([
    ['download', 'interrupted'],
    ['month_processing', 'interrupted'],
  ]);
  for (const end of ends(trail)) expect(`${end.message} ${end.error_message}`).toMatch(reason);
  expect(count(trail.human, /\] \[ERROR\] /)).toBe(2);
  expect(trail.errorBlocks).toHaveLength(2);
}

describe('fault matrix: the process', () => {
  it.concurrent(
    'control: a normal run with a handled stage failure',
    async () => {
      await runFaultRow(
        {
          row: 'normal run',
          scenario: 'complete',
          expected: { starts: 8, ends: 8, messages: [/^fetching https:\/\/etl:\[REDACTED\]@files\.internal\/2024-01\.csv/] },
          boundMs: ADDED_DELAY_BOUND_MS,
          check(trail) {
            expect(
              ends(trail)
                .filter((r) => r.outcome === 'failure')
                .map((r) => r.stage),
            ).toEqual(['validate', 'validate']);
            expect(trail.errorBlocks).toHaveLength(2);
          },
        },
        freshDir,
      );
    },
    ROW_TIMEOUT_MS,
  );

  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    it.concurrent(
      `${signal} while a stage waits`,
      async () => {
        await runFaultRow(
          {
            row: `${signal} mid-stage`,
            scenario: 'wait',
            interruption: { signal, when: /^waiting$/m },
            expected: { starts: 2, ends: 2, messages: ['waiting for the bucket'] },
            boundMs: ADDED_DELAY_BOUND_MS,
            check: (trail) => interruptedOnce(trail, new RegExp(`${signal} received`)),
          },
          freshDir,
        );
      },
      ROW_TIMEOUT_MS,
    );
  }

  const CPU_MS = 1500;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    it.concurrent(
      `${signal} during a CPU-bound stage: handled when the stage returns, the process still dies by it`,
      async () => {
        await runFaultRow(
          {
            row: `${signal} during a CPU-bound stage`,
            scenario: 'cpu-last-stage',
            env: { WAIT_MS: String(CPU_MS) },
            interruption: { signal, when: /^busy$/m },
            expected: { starts: 2, ends: 2 },
            // A JavaScript listener runs only once the synchronous stage returns: the rest of the stage is added.
            boundMs: CPU_MS + ADDED_DELAY_BOUND_MS,
            check(trail) {
              // The stage ran to its end before the signal could be handled.
              expect(ends(trail).map((r) => [r.stage, r.outcome])).toEqual([
                ['crunch', 'success'],
                ['month_processing', 'success'],
              ]);
              expect(count(trail.human, new RegExp(`${signal} received while shutting down`))).toBe(1);
            },
          },
          freshDir,
        );
      },
      ROW_TIMEOUT_MS,
    );
  }

  it.concurrent(
    "SIGKILL with durability 'sync': every record made before the kill is on disk",
    async () => {
      await runFaultRow(
        {
          row: "SIGKILL (durability 'sync')",
          scenario: 'wait',
          env: { STAGETRACE_DURABILITY: 'sync' },
          interruption: { signal: 'SIGKILL', when: /^waiting$/m },
          // Nothing can run after SIGKILL: the open scopes have no end.
          expected: { starts: 2, ends: 0, messages: ['waiting for the bucket'] },
          boundMs: ADDED_DELAY_BOUND_MS,
          check: (trail) => expect(trail.unended).toHaveLength(2),
        },
        freshDir,
      );
    },
    ROW_TIMEOUT_MS,
  );

  it.concurrent(
    "SIGKILL with durability 'buffered': at most the last second's records are missing",
    async () => {
      const result = await runFaultRow(
        {
          row: "SIGKILL (durability 'buffered')",
          scenario: 'wait',
          interruption: { signal: 'SIGKILL', when: /^waiting$/m },
          expected: { starts: 2, ends: 0, messages: ['waiting for the bucket'] },
          boundMs: ADDED_DELAY_BOUND_MS,
          // The three records made in the second before the kill may not have been flushed yet.
          mayLose: 3,
        },
        freshDir,
      );
      expect(result.duplicated).toBe(0);
    },
    ROW_TIMEOUT_MS,
  );

  it.concurrent(
    'uncaught exception in a stage',
    async () => {
      await runFaultRow(
        {
          row: 'uncaught exception',
          scenario: 'uncaught',
          expected: { starts: 2, ends: 2 },
          boundMs: ADDED_DELAY_BOUND_MS,
          check: (trail, { traced }) => {
            interruptedOnce(trail, /uncaught exception: Error: boom in download/);
            expect(traced.code).toBe(1);
            expect(count(traced.stderr, /^Error: boom in download/)).toBe(1);
          },
        },
        freshDir,
      );
    },
    ROW_TIMEOUT_MS,
  );

  it.concurrent(
    'unhandled rejection in a stage',
    async () => {
      await runFaultRow(
        {
          row: 'unhandled rejection',
          scenario: 'rejection',
          expected: { starts: 2, ends: 2 },
          boundMs: ADDED_DELAY_BOUND_MS,
          check: (trail, { traced }) => {
            interruptedOnce(trail, /unhandled rejection: Error: rejected in download/);
            expect(traced.code).toBe(1);
          },
        },
        freshDir,
      );
    },
    ROW_TIMEOUT_MS,
  );

  it.concurrent(
    'process.exit(3) mid-month',
    async () => {
      await runFaultRow(
        {
          row: 'process.exit() mid-month',
          scenario: 'exit3',
          expected: { starts: 2, ends: 2, messages: ['about to exit'] },
          boundMs: ADDED_DELAY_BOUND_MS,
          check: (trail, { traced }) => {
            interruptedOnce(trail, /process exited with code 3/);
            expect(traced.code).toBe(3);
          },
        },
        freshDir,
      );
    },
    ROW_TIMEOUT_MS,
  );

  it.concurrent(
    "an exception thrown in a stage's finally, uncaught",
    async () => {
      await runFaultRow(
        {
          row: "exception in a stage's finally",
          scenario: 'finally-throws',
          expected: { starts: 2, ends: 2 },
          boundMs: ADDED_DELAY_BOUND_MS,
          check: (trail, { traced }) => {
            // The error from finally replaced the body's, as JavaScript says; the stage and its month failed with it.
            expect(ends(trail).map((r) => [r.stage, r.outcome, r.error_message])).toEqual([
              ['download', 'failure', 'cleanup failed in finally: https://etl:[REDACTED]@files.internal/tmp'],
              ['month_processing', 'failure', 'cleanup failed in finally: https://etl:[REDACTED]@files.internal/tmp'],
            ]);
            expect(trail.errors).not.toMatch(/body failed/);
            // One traceback; the month's block points to it.
            expect(count(trail.errors, /^ {2}Error: cleanup failed in finally: https:\/\/etl:\[REDACTED\]@files\.internal\/tmp$/)).toBe(1);
            expect(count(trail.errors, /^ {2}\(the same error: its traceback is in the block of download/)).toBe(1);
            expect(traced.code).toBe(1);
            expect(count(traced.stderr, /^Error: cleanup failed in finally/)).toBe(1);
          },
        },
        freshDir,
      );
    },
    ROW_TIMEOUT_MS,
  );
});
