/**
 * The work of one worker thread of the pool: parse a month's file as a stage
 * that is a child of the month, wherever the month runs. Each thread has its
 * own stagetrace session (its own audit folder, the run id of the main
 * thread); see BENCHMARKS.md for why.
 */
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { type Carrier, forceFlush, start, traceStage } from '../../src/index.js';

await start({ logDir: join(process.env.PARALLEL_LOG_DIR ?? 'logs/parallel-months', `thread-${threadId}`), handleExit: false });

export interface ParseTask {
  month: string;
  rows: number;
  carrier: Carrier | undefined;
}

export async function parseTask({ month, rows, carrier }: ParseTask): Promise<number> {
  const total = await traceStage(
    'parse',
    (stage) => {
      let sum = 0;
      for (let i = 0; i < rows; i++) {
        sum += (i * 7919 + month.length) % 1000;
        if (i % 50_000 === 0) stage.progress(i, rows);
      }
      return sum;
    },
    { parent: carrier, context: { rows } },
  );
  // The pool ends its threads without a shutdown: each task leaves its records on disk and with the collector.
  await forceFlush();
  return total;
}
