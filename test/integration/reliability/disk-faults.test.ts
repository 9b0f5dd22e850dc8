/**
 * Fault matrix, disk rows: a logDir that cannot be written at start (a real
 * read-only bind mount, a real immutable folder) and one removed while the
 * pipeline runs. What start() says about an unwritable logDir:
 * log-dir-at-start.test.ts. A full disk: test/integration/audit/full-disk.test.ts.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../audit/audit-support.js';
import {
  ADDED_DELAY_BOUND_MS,
  count,
  delaysOf,
  expectSameResult,
  ownStderr,
  type Rec,
  ROW_TIMEOUT_MS,
  report,
  runFaultRow,
  runPair,
  SCENARIO_SECRET,
  secretLeaks,
} from './matrix-support.js';
import { unwritableFolders } from './mounts.js';

const root = tempDir('faults-disk');
const folders = unwritableFolders(root);
let n = 0;
const freshDir = () => join(root.dir, `run-${++n}`);

describe('fault matrix: the disk', () => {
  for (const kind of ['read-only', 'immutable'] as const) {
    it.concurrent(
      `logDir ${kind} at start with requireLogDir: false: the pipeline runs as without stagetrace, said once`,
      async () => {
        const folder = kind === 'read-only' ? folders.readOnly : folders.immutable;
        const pair = await runPair(
          'complete',
          () => ({ STAGETRACE_LOG_DIR: join(folder.dir, `logs-${++n}`), STAGETRACE_REQUIRE_LOG_DIR: 'false' }),
          {
            check(p) {
              expectSameResult(p);
              const said = ownStderr(p.traced.stderr);
              expect(said).toEqual([
                expect.stringMatching(/\[WARNING\] stagetrace: cannot write audit files in logDir .*Running on without audit files\./),
              ]);
              expect(said[0]).toContain(kind === 'read-only' ? 'EROFS' : 'EPERM');
              expect(secretLeaks(undefined, p.traced, p.baseline)).toEqual([]);
            },
          },
        );
        expect(pair.maxAddedMs).toBeLessThan(ADDED_DELAY_BOUND_MS);
        report({
          row: `logDir ${kind} at start (requireLogDir: false)`,
          ...delaysOf(pair),
          lost: 0,
          duplicated: 0,
          leaked: 0,
        });
      },
      ROW_TIMEOUT_MS,
    );
  }

  it.concurrent(
    'logDir read-only at start (requireLogDir: true, the default): start() fails before the pipeline does anything',
    async () => {
      const pair = await runPair('complete', () => ({ STAGETRACE_LOG_DIR: join(folders.readOnly.dir, `logs-${++n}`) }), {
        check({ traced, baseline }) {
          expect(baseline.code).toBe(0);
          // A required audit trail that cannot be written stops the job at start(), before its first month.
          expect(traced.code).toBe(1);
          expect(traced.output).toBe('');
          expect(count(traced.stderr, /^Error: stagetrace: cannot write audit files in logDir .*EROFS: read-only file system, mkdir/)).toBe(
            1,
          );
          expect(traced.stderr).not.toContain(SCENARIO_SECRET);
        },
      });
      report({
        row: 'logDir read-only at start (default)',
        ...delaysOf(pair),
        lost: 0,
        duplicated: 0,
        leaked: 0,
      });
    },
    ROW_TIMEOUT_MS,
  );

  for (const durability of ['buffered', 'sync'] as const) {
    it.concurrent(
      `logDir removed between two months (durability '${durability}'): created again, said once`,
      async () => {
        await runFaultRow(
          {
            row: `logDir deleted mid-run (durability '${durability}')`,
            scenario: 'delete-log-dir',
            env: { STAGETRACE_DURABILITY: durability },
            // The second month, whole: the first went with the removed folder.
            expected: { starts: 4, ends: 4, messages: [/^fetching https:\/\/etl:\[REDACTED\]@files\.internal\/2024-02\.csv/] },
            boundMs: ADDED_DELAY_BOUND_MS,
            check(trail, { traced }) {
              expect(new Set(trail.structured.map((r: Rec) => r.month ?? null))).toEqual(new Set(['2024-02', null]));
              const notice = /stagetrace: logDir ".*" was removed or replaced while the session ran; created it again/;
              expect(ownStderr(traced.stderr).filter((l) => notice.test(l))).toHaveLength(1);
              expect(ownStderr(traced.stderr)).toHaveLength(1);
              expect(count(trail.human, notice)).toBe(1);
            },
          },
          freshDir,
        );
      },
      ROW_TIMEOUT_MS,
    );
  }

  for (const durability of ['buffered', 'sync'] as const) {
    it.concurrent(
      `logDir removed inside a running stage (durability '${durability}')`,
      async () => {
        await runFaultRow(
          {
            row: `logDir deleted mid-stage (durability '${durability}')`,
            scenario: 'delete-log-dir',
            env: { STAGETRACE_DURABILITY: durability, DELETE_AT: 'mid-stage' },
            // The stage's and its month's starts went with the removed folder; their ends and both messages belong in the new one.
            expected: { starts: 0, ends: 2, messages: ['right after the removal', 'a second later'] },
            trail: { startsMayBeGone: true },
            // sync: each record is written as it is made, and the folder is looked at once a second, not per record.
            mayLose: durability === 'sync' ? 1 : 0,
            boundMs: ADDED_DELAY_BOUND_MS,
            check(trail, { traced }) {
              expect([...trail.ends.values()].map((r: Rec) => [r.stage, r.outcome])).toEqual([
                ['download', 'success'],
                ['month_processing', 'success'],
              ]);
              expect(ownStderr(traced.stderr)).toEqual([expect.stringMatching(/was removed or replaced while the session ran/)]);
            },
          },
          freshDir,
        );
      },
      ROW_TIMEOUT_MS,
    );
  }
});
