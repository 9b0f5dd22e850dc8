/**
 * Months whose heavy stage runs in a child process: `npm run example:children`.
 * The child is started with carrierEnv() in its environment, so its stage is
 * a child of the month here (one trace per month), its records carry this
 * run's id, and the report at the end merges both folders.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { carrierEnv, formatSessionReport, shutdown, start, summarizeAuditLog, traceMonth, traceStage } from '../../src/index.js';

const logDir = process.env.PARALLEL_LOG_DIR ?? 'logs/parallel-months-children';
const heavy = fileURLToPath(new URL('./heavy-stage.ts', import.meta.url));

function runChild(rows: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, heavy, String(rows)], {
      // The carrier, and the children's own audit folder (they may also share this process's).
      env: { ...process.env, ...carrierEnv(), STAGETRACE_LOG_DIR: join(logDir, 'children') },
      stdio: 'inherit',
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`heavy-stage.ts exited with ${code}`))));
  });
}

await start({ logDir: join(logDir, 'main'), totalMonths: 4 });
for (const month of ['2024-01', '2024-02', '2024-03', '2024-04']) {
  await traceMonth(month, async () => {
    const rows = await traceStage('download', () => 500_000);
    await runChild(rows);
    await traceStage('upload', () => undefined);
  });
}
await shutdown();

const summary = await summarizeAuditLog([join(logDir, 'main'), join(logDir, 'children')]);
process.stdout.write(formatSessionReport(summary));
