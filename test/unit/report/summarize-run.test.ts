/**
 * A run's report over the folders of its processes: only the run's sessions,
 * from every folder, merged; lines written before runs had an id are a run of
 * their own session.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Carrier, getCarrier, listSessions, summarizeAuditLog, traceMonth, traceStage } from '../../../src/index.js';
import { startInMemory } from '../../helpers/in-memory-sdk.js';
import { writeMonthlySession } from '../../helpers/session-files.js';

const root = mkdtempSync(join(tmpdir(), 'stagetrace-run-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function session(options: { dir: string; sessionId: string; runId: string }, work: () => Promise<void>): Promise<void> {
  const s = startInMemory({ logDir: options.dir, sessionId: options.sessionId, runId: options.runId, durability: 'sync' });
  await work();
  await s.close();
}

describe('summarizeAuditLog over the folders of one run', () => {
  it("merges the run's sessions from every folder, leaving other runs out", async () => {
    const main = join(root, 'main');
    const worker = join(root, 'worker');
    let carrier: Carrier | undefined;
    // Another run wrote to the worker's folder first.
    await session({ dir: worker, sessionId: 'other', runId: 'other-run' }, async () => {
      await traceMonth('2023-12', () => traceStage('parse', () => undefined));
    });
    await session({ dir: main, sessionId: 'main', runId: 'run-1' }, async () => {
      await traceMonth('2024-01', async () => {
        traceStage('download', () => undefined);
        carrier = getCarrier();
      });
    });
    await session({ dir: worker, sessionId: 'worker', runId: 'run-1' }, async () => {
      traceStage('parse', () => undefined, { parent: carrier });
      expect(() =>
        traceStage(
          'parse',
          () => {
            throw new RangeError('bad row');
          },
          { parent: carrier },
        ),
      ).toThrow('bad row');
    });

    expect((await listSessions(worker)).map((s) => [s.session_id, s.run_id])).toEqual([
      ['other', 'other-run'],
      ['worker', 'run-1'],
    ]);
    const merged = await summarizeAuditLog([main, worker]);
    expect(merged.session_id).toBe('run-1');
    expect(Object.keys(merged.months)).toEqual(['2024-01']);
    expect(merged.months['2024-01']).toMatchObject({ status: 'success', stages: 3, failed_stages: 1 });
    expect(merged.stages.parse).toMatchObject({ executions: 2, failures: 1 });
    expect(merged.stages.download).toMatchObject({ executions: 1 });
    // Named explicitly, the other run is read alone.
    const other = await summarizeAuditLog([main, worker], { run: 'other-run' });
    expect(Object.keys(other.months)).toEqual(['2023-12']);
    await expect(summarizeAuditLog([main], { run: 'nope' })).rejects.toMatchObject({ kind: 'unknown-session' });
  });

  it('reads lines without a run id as a run of their own session', async () => {
    const dir = join(root, 'old');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    writeMonthlySession(dir, 'old-session', Date.UTC(2025, 0, 6, 9), { '2024-01': { download: 1, parse: 2 } });
    writeMonthlySession(dir, 'later', Date.UTC(2025, 0, 7, 9), { '2024-02': { download: 1 } });
    const run = await summarizeAuditLog([dir], { run: 'old-session' });
    expect(Object.keys(run.months)).toEqual(['2024-01']);
    expect(run.totals.stage_executions).toBe(2);
    expect((await summarizeAuditLog([dir, dir])).months).toHaveProperty('2024-02');
  });
});
