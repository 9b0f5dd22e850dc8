/**
 * Months whose heavy stage runs in a worker-thread pool (piscina):
 * `npm run example:threads`. Each month is one trace: `download` and `upload`
 * run here, `parse` in a pool thread with getCarrier() as its parent. At the
 * end the report merges the main thread's folder with every thread's.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Piscina } from 'piscina';
import {
  carrierEnv,
  formatSessionReport,
  getCarrier,
  shutdown,
  start,
  summarizeAuditLog,
  traceMonth,
  traceStage,
} from '../../src/index.js';

const logDir = process.env.PARALLEL_LOG_DIR ?? 'logs/parallel-months';
await start({ logDir: join(logDir, 'main'), totalMonths: 6 });
const pool = new Piscina({
  filename: new URL('./parse-worker.mjs', import.meta.url).href,
  maxThreads: 4,
  // The threads' sessions join this run: carrierEnv() outside a month gives STAGETRACE_RUN_ID.
  env: { ...process.env, ...carrierEnv(), PARALLEL_LOG_DIR: logDir },
});

const months = ['2024-01', '2024-02', '2024-03', '2024-04', '2024-05', '2024-06'];
await Promise.all(
  months.map((month) =>
    traceMonth(month, async () => {
      const rows = await traceStage('download', () => 200_000 + months.indexOf(month) * 50_000);
      await pool.run({ month, rows, carrier: getCarrier() });
      await traceStage('upload', () => undefined);
    }),
  ),
);
await pool.destroy();
await shutdown();

const threads = readdirSync(logDir).filter((name) => name.startsWith('thread-'));
const summary = await summarizeAuditLog([join(logDir, 'main'), ...threads.map((name) => join(logDir, name))]);
process.stdout.write(formatSessionReport(summary));
