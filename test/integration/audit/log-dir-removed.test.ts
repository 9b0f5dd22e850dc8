/**
 * A logDir removed while the session runs: the files would go on being
 * written into a folder nobody can see. The folder is created again and the
 * files reopened there, said once; while it cannot be created, the records
 * are kept and written once it can. (In a real child process, compared with
 * a run without stagetrace: test/integration/reliability/disk-faults.test.ts.)
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { getSessionSummary, logProgress, shutdown, start, traceMonth, traceStage } from '../../../src/index.js';
import { captureStderr, type StderrCapture } from '../../helpers/capture-stderr.js';
import { PERFORMANCE, readJsonl, STRUCTURED, tempDir } from './audit-support.js';

const root = tempDir('log-dir-removed');
afterAll(() => root.remove());
let capture: StderrCapture | undefined;
afterEach(async () => {
  capture?.restore();
  capture = undefined;
  await shutdown();
});

let n = 0;
async function month(m: string): Promise<void> {
  await traceMonth(m, () => traceStage('load', () => logProgress(`loading ${m}`)));
}

describe('a logDir removed while the session runs', () => {
  for (const durability of ['sync', 'buffered'] as const) {
    it(`(${durability}) is created again at the next month, and said once`, async () => {
      const dir = join(root.dir, `run-${++n}`, 'logs');
      capture = captureStderr();
      await start({ logDir: dir, durability, console: false, hostMetrics: false, handleExit: false });
      await month('2024-01');
      rmSync(dir, { recursive: true });
      await month('2024-02');
      rmSync(dir, { recursive: true });
      await month('2024-03');
      await shutdown();
      const structured = readJsonl(join(dir, STRUCTURED));
      // The last month whole; the second went with the second removal. Nothing twice.
      expect(structured.filter((r) => r.stage_event !== null).map((r) => [r.month, r.stage, r.stage_event])).toEqual([
        ['2024-03', 'month_processing', 'start'],
        ['2024-03', 'load', 'start'],
        ['2024-03', 'load', 'end'],
        ['2024-03', 'month_processing', 'end'],
      ]);
      expect(readJsonl(join(dir, PERFORMANCE))).toHaveLength(2);
      const said = capture.lines().filter((l) => l.includes('was removed or replaced'));
      expect(said).toEqual([
        expect.stringMatching(
          /\[WARNING\] stagetrace: logDir ".*logs" was removed or replaced while the session ran; created it again and went on writing the audit files there\./,
        ),
      ]);
      expect(capture.lines()).toHaveLength(1);
    });
  }

  it('while it cannot be created again, its records are kept, and written once it can', async () => {
    const parent = join(root.dir, `run-${++n}`);
    const dir = join(parent, 'logs');
    capture = captureStderr();
    await start({ logDir: dir, durability: 'sync', console: false, hostMetrics: false, handleExit: false });
    await month('2024-01');
    // The parent is replaced by a file: the folder cannot be made again.
    rmSync(parent, { recursive: true });
    writeFileSync(parent, 'in the way');
    await month('2024-02');
    expect(getSessionSummary().audit.write_errors).toBeGreaterThan(0);
    rmSync(parent);
    mkdirSync(parent);
    await month('2024-03');
    await shutdown();
    const months = readJsonl(join(dir, STRUCTURED))
      .filter((r) => r.stage_event === 'end' && r.record_type === 'month')
      .map((r) => r.month);
    expect(months).toEqual(['2024-02', '2024-03']);
    const lines = capture.lines();
    // Each file's failure said once (ENOTDIR: the parent is a file), then the recovery once.
    expect(lines.filter((l) => l.includes('cannot write'))).toHaveLength(4);
    for (const line of lines.filter((l) => l.includes('cannot write'))) expect(line).toMatch(/ENOTDIR/);
    expect(lines.filter((l) => l.includes('was removed or replaced'))).toHaveLength(1);
  });
});
