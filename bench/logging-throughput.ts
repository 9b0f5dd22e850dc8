/**
 * 2. Logging throughput: logProgress() to the audit files (console off)
 * against pino writing a record of the same content to a file.
 */
import { join } from 'node:path';
import pino from 'pino';
import { createStagetrace, forceFlush, logProgress, shutdown } from '../src/index.js';
import { alternate, type BenchResult, median, tempDir } from './lib.js';

export async function loggingThroughput(quick: boolean): Promise<BenchResult[]> {
  const dir = tempDir('log');
  const n = quick ? 1000 : 100_000;
  const rounds = quick ? 2 : 8;
  createStagetrace({
    logDir: join(dir.path, 'stagetrace'),
    console: false,
    hostMetrics: false,
    maxFileBytes: 32 * 1024 * 1024,
    maxFiles: 2,
  });
  const destination = pino.destination(join(dir.path, 'pino.log'));
  const logger = pino({ base: { session_id: 'bench' } }, destination);

  const ours = async () => {
    const t = performance.now();
    for (let i = 0; i < n; i++) logProgress('processed batch', { context: { batch: i, rows: 500 } });
    await forceFlush();
    return n / ((performance.now() - t) / 1000);
  };
  const theirs = async () => {
    const t = performance.now();
    for (let i = 0; i < n; i++) logger.info({ context: { batch: i, rows: 500 } }, 'processed batch');
    await new Promise<void>((resolve) => destination.flush(() => resolve()));
    return n / ((performance.now() - t) / 1000);
  };
  const { a, b } = await alternate(rounds, quick ? 1 : 2, ours, theirs);
  await shutdown();
  destination.end();
  dir.remove();
  const ratio = median(a) / median(b);
  return [
    {
      name: 'logging throughput',
      measure: 'logProgress / pino',
      value: ratio,
      unit: '×',
      target: '≥ 0.5',
      pass: ratio >= 0.5,
      details: { logProgress_per_s: Math.round(median(a)), pino_per_s: Math.round(median(b)) },
    },
    {
      name: 'logging rate',
      measure: 'logProgress messages/s',
      value: median(a),
      unit: '/s',
      target: '≥ 100000',
      pass: median(a) >= 100_000,
      details: { messages_per_round: n, rounds },
    },
  ];
}
