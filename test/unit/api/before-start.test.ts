/**
 * A forgotten `await start()` looks like a working setup: the month runs and
 * the console prints. It is said once on stderr, with what is lost and what
 * to call; after shutdown() the same, with what to call then.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { shutdown, start, startStage, traceMonth, traceStage } from '../../../src/index.js';
import { captureStderr } from '../../helpers/capture-stderr.js';

const dir = mkdtempSync(join(tmpdir(), 'stagetrace-before-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const warnings = (text: string, what: string) => text.split('\n').filter((line) => line.includes('[WARNING]') && line.includes(what));

describe('a month or stage without a started session', () => {
  it('warns once before start(): what is lost and what to call, and the code still runs', async () => {
    const stderr = captureStderr();
    let rows: number;
    try {
      rows = await traceMonth('2024-01', () => traceStage('download', async () => 3));
      traceStage('process', () => undefined);
      startStage('upload').end();
      await traceMonth('2024-02', () => undefined);
    } finally {
      stderr.restore();
    }
    expect(rows).toBe(3);
    const said = warnings(stderr.text(), 'before start()');
    expect(said).toHaveLength(1);
    expect(said[0]).toContain('stagetrace: traceMonth() ran before start()');
    expect(said[0]).toContain('no audit files');
    expect(said[0]).toContain('nothing sent to a collector');
    expect(said[0]).toContain('await start()');
    // The months and stages themselves are still printed.
    expect(stderr.text()).toContain('Starting month 2024-01');
  });

  it('says nothing while a session runs, and warns once after shutdown()', async () => {
    await start({ logDir: dir, console: false, hostMetrics: false, handleExit: false });
    const during = captureStderr();
    try {
      await traceMonth('2024-03', () => traceStage('download', () => 1));
    } finally {
      during.restore();
    }
    expect(during.text()).not.toContain('[WARNING]');
    await shutdown();
    const after = captureStderr();
    try {
      startStage('late').end();
      traceStage('later', () => undefined);
    } finally {
      after.restore();
    }
    const said = warnings(after.text(), 'after shutdown()');
    expect(said).toHaveLength(1);
    expect(said[0]).toContain('startStage() ran after shutdown()');
    expect(said[0]).toContain('Call start() again');
  });
});
