/**
 * A pipeline that puts an id in each stage name (80,000 of them) in a real
 * process: the live statistics hold 2,000 names and fold the rest into
 * `otel.metric.overflow`, so the heap stays flat past the cap; it is said
 * once; and the offline summary of the files folds the same names.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { summarizeAuditLog } from '../../src/report/summarize-audit-log.js';
import { MAX_STAGE_NAMES, OVERFLOW_NAME } from '../../src/stats/cardinality.js';
import { runNodeScript } from '../helpers/run-node.js';
import { tempDir } from './audit/audit-support.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/many-stage-names.ts', import.meta.url));
const root = tempDir('cardinality');
afterAll(() => root.remove());

const NAMES = 80_000;
const BASE = 20_000;
/** Heap growth allowed over the last 60,000 names: without the cap they cost about 1 KB each (60 MB). */
const FLAT_BYTES = 12 * 1024 * 1024;

it('80,000 distinct stage names: the heap stays flat past the cap, the summary shows the overflow bucket, said once, live and offline alike', async () => {
  const dir = join(root.dir, 'logs');
  const run = await runNodeScript(FIXTURE, {
    env: { STAGETRACE_LOG_DIR: dir, NAMES: String(NAMES), BASE: String(BASE) },
    timeoutMs: 240_000,
  });
  expect(run.code, run.stderr).toBe(0);
  const [, base, last] = (run.stdout.match(/^HEAP (\d+) (\d+)$/m) ?? []).map(Number);
  const growth = (last ?? 0) - (base ?? 0);
  expect(growth, `heap grew by ${(growth / 1024 / 1024).toFixed(1)} MB over ${NAMES - BASE} names`).toBeLessThan(FLAT_BYTES);
  expect(run.stdout).toMatch(new RegExp(`^STAGES ${MAX_STAGE_NAMES + 1} ${NAMES - MAX_STAGE_NAMES}$`, 'm'));
  const said = run.stderr.split('\n').filter((line) => line.includes(`more than 2,000 distinct stage names`));
  expect(said).toHaveLength(1);
  expect(said[0]).toContain(`counts further stage names together under "${OVERFLOW_NAME}"`);

  const offline = await summarizeAuditLog(dir);
  expect(Object.keys(offline.stages)).toHaveLength(MAX_STAGE_NAMES + 1);
  expect(offline.stages[OVERFLOW_NAME]?.executions).toBe(NAMES - MAX_STAGE_NAMES);
  expect(Object.keys(offline.months['2024-01']?.stage_seconds ?? {})).toHaveLength(MAX_STAGE_NAMES + 1);
}, 300_000);
