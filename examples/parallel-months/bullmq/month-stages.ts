/**
 * The stages of one month, the same code wherever it runs: in a BullMQ worker
 * process (worker.ts) or in one process with no queue at all (producer.ts
 * --in-process). `parent` is the month's carrier when the month span lives in
 * another process; each stage is then a child of that month, so the month
 * stays one trace.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type Carrier, traceStage } from '../../../src/index.js';

/** What a month job carries in its data: plain JSON, as BullMQ stores it in Redis. */
export interface MonthJobData {
  month: string;
  /** From `getCarrier()` inside the producer's month. */
  carrier: Carrier;
  /** The month whose validation fails on purpose (`--fail-month`). */
  failMonth?: string;
}

/** A small seeded generator (mulberry32): the same month always yields the same rows. */
function seededRandom(seedText: string): () => number {
  let seed = 0;
  for (const ch of seedText) seed = (Math.imul(seed, 31) + ch.charCodeAt(0)) | 0;
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Runs extract → transform → validate → load for `month`. Throws (after the
 * failed stage is recorded) when `month` is `failMonth`, so the job fails and
 * the producer's month with it.
 */
export async function runMonthStages(month: string, options: { parent?: Carrier; failMonth?: string } = {}): Promise<number> {
  const { parent } = options;
  const random = seededRandom(month);
  const rows = await traceStage(
    'extract',
    async (stage) => {
      // The source system, as it were: 80-200 ms per month.
      await sleep(80 + Math.floor(random() * 120));
      const count = 1000 + Math.floor(random() * 1000);
      stage.addContext({ rows: count });
      return Array.from({ length: count }, () => Math.round(random() * 10_000) / 100);
    },
    { parent, context: { source: `s3://example-bucket/${month}.csv` } },
  );
  const total = traceStage('transform', () => rows.reduce((sum, price) => sum + price, 0), { parent });
  traceStage(
    'validate',
    () => {
      if (month === options.failMonth) throw new Error(`${month}: control total ${total.toFixed(2)} does not match the source`);
    },
    { parent },
  );
  await traceStage('load', () => sleep(20), { parent, context: { destination: `warehouse.monthly_${month.replace('-', '_')}` } });
  return rows.length;
}
