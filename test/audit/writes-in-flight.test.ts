/**
 * Buffered mode writes full queues on libuv's thread pool. A process that
 * ends while such writes still wait there must leave every record in the
 * files exactly once: the exit paths write them synchronously. Real child
 * processes, ended by process.exit() and by a real SIGTERM.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { HUMAN, PERFORMANCE, readJsonl, readText, STRUCTURED, spawnScript, tempDir } from './audit-support.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/writes-in-flight.ts', import.meta.url));
const STAGES = 3000;
const root = tempDir('in-flight');
afterAll(() => root.remove());

describe('a process that ends with audit writes still on the thread pool', () => {
  for (const end of ['exit', 'sigterm'] as const) {
    it.concurrent(`${end}: every stage's records are in the files exactly once, in order`, async () => {
      const dir = join(root.dir, end);
      const run = await spawnScript(SCRIPT, {
        STAGETRACE_LOG_DIR: dir,
        UV_THREADPOOL_SIZE: '1',
        END: end,
        STAGES: String(STAGES),
      }).exited;
      if (end === 'exit') expect(run.code, run.stderr).toBe(0);
      else expect(run.signal, run.stderr).toBe('SIGTERM');
      expect(run.stdout).not.toMatch(/pool free again/);

      const structured = readJsonl(join(dir, STRUCTURED));
      const stageRecords = structured.filter((r) => r.record_type === 'stage');
      const indexes = (event: string) => stageRecords.filter((r) => r.stage_event === event).map((r) => (r.context as { i: number }).i);
      const all = Array.from({ length: STAGES }, (_, i) => i);
      expect(indexes('start')).toEqual(all);
      expect(indexes('end')).toEqual(all);
      const performance = readJsonl(join(dir, PERFORMANCE)).filter((r) => r.stage === 'work');
      expect(performance.map((r) => (r.context as { i: number }).i)).toEqual(all);
      expect(readText(join(dir, HUMAN)).match(/\[TIMING\] \[work\]/g)).toHaveLength(STAGES);
      // exit: the month was still open and ends as interrupted; sigterm: it had ended. Either way after its stages.
      const monthEnd = structured.findIndex((r) => r.record_type === 'month' && r.stage_event === 'end');
      expect(structured[monthEnd]).toMatchObject({ outcome: end === 'exit' ? 'interrupted' : 'success' });
      expect(monthEnd).toBeGreaterThan(structured.lastIndexOf(stageRecords.at(-1) as Record<string, unknown>));

      // The test means something only if records were still waiting on the pool at the end.
      const before = Number(/on disk before the end: (\d+)/.exec(run.stdout)?.[1]);
      expect(before).toBeGreaterThan(0);
      expect(before).toBeLessThan(statSync(join(dir, STRUCTURED)).size);
    });
  }
});
