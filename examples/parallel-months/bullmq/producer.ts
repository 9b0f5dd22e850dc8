/**
 * Months on BullMQ queue workers, each month still one trace: `npm run
 * example:bullmq` (README: examples/parallel-months/bullmq/README.md).
 *
 * The producer opens each month with `traceMonth()` and enqueues one job for
 * it whose data holds `getCarrier()`; a worker process (worker.ts) takes the
 * job and runs the month's stages with `{ parent: carrier }`. The month span
 * ends when its job is done, failed when the job failed. With `--workers N`
 * (default 3) the producer starts N workers itself, passing its run id on
 * through `carrierEnv()`; with `--workers 0` it uses workers started
 * elsewhere. `--in-process` runs the same stages in this one process, without
 * Redis: the run to compare the queue's with. At the end it prints the run's
 * report, merged from the producer's and the workers' folders.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Queue, QueueEvents } from 'bullmq';
import { BullMQOtel } from 'bullmq-otel';
import {
  carrierEnv,
  formatSessionReport,
  getCarrier,
  logProgress,
  shutdown,
  start,
  summarizeAuditLog,
  traceMonth,
} from '../../../src/index.js';
import { type MonthJobData, runMonthStages } from './month-stages.js';

const USAGE = `Usage: npm run example:bullmq -- [options]

  --months <count|list>   months to run: a count from 2024-01, or 2024-01,2024-02 (default 12)
  --fail-month <YYYY-MM>  make that month's validate stage fail
  --workers <n>           worker processes to start (default 3); 0 uses workers started elsewhere
  --in-process            run every month's stages in this process, without Redis
  --log-dir <folder>      audit files: <folder>/producer, <folder>/worker-<i>, <folder>/in-process
                          (default logs/bullmq)
  --queue <name>          BullMQ queue name (default stagetrace-months)
  --bullmq-telemetry      BullMQ's own spans (bullmq-otel): stages become children of its consumer span
  -h, --help              show this help

REDIS_URL names the Redis (default redis://127.0.0.1:6379).
`;

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
const WORKER_SCRIPT = fileURLToPath(new URL('./worker.ts', import.meta.url));

class UsageError extends Error {}

function monthsFrom(spec: string): string[] {
  if (/^\d+$/.test(spec)) {
    const count = Number(spec);
    if (count < 1 || count > 120) throw new UsageError(`--months ${spec}: a count must be from 1 to 120.`);
    return Array.from({ length: count }, (_, i) => {
      const d = new Date(Date.UTC(2024, i, 1));
      return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
    });
  }
  const months = spec.split(',').map((m) => m.trim());
  const bad = months.find((m) => !MONTH.test(m));
  if (bad !== undefined) throw new UsageError(`--months: "${bad}" is not a month; expected YYYY-MM, e.g. 2024-01,2024-02, or a count.`);
  return months;
}

function parseCommandLine(argv: string[]) {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        months: { type: 'string', default: '12' },
        'fail-month': { type: 'string' },
        workers: { type: 'string', default: '3' },
        'in-process': { type: 'boolean', default: false },
        'log-dir': { type: 'string', default: join('logs', 'bullmq') },
        queue: { type: 'string', default: 'stagetrace-months' },
        'bullmq-telemetry': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const months = monthsFrom(String(values.months));
  const failMonth = values['fail-month'] as string | undefined;
  if (failMonth !== undefined && !months.includes(failMonth)) {
    throw new UsageError(`--fail-month "${failMonth}" is not one of the months to run (${months.join(', ')}).`);
  }
  const workers = Number(values.workers);
  if (!Number.isInteger(workers) || workers < 0 || workers > 32) {
    throw new UsageError(`--workers ${values.workers}: expected a whole number from 0 to 32.`);
  }
  return {
    months,
    failMonth,
    workers,
    inProcess: values['in-process'] === true,
    logDir: String(values['log-dir']),
    queue: String(values.queue),
    telemetry: values['bullmq-telemetry'] === true,
    help: values.help === true,
  };
}

type Args = ReturnType<typeof parseCommandLine>;

/** Starts worker.ts `count` times, each with its own audit folder and this run's id. */
function startWorkers(args: Args): ChildProcess[] {
  return Array.from({ length: args.workers }, (_, i) => {
    const workerArgs = ['--log-dir', join(args.logDir, `worker-${i + 1}`), '--queue', args.queue];
    if (args.telemetry) workerArgs.push('--bullmq-telemetry');
    // Outside any month, carrierEnv() holds only STAGETRACE_RUN_ID: the workers join this run.
    return spawn(process.execPath, [...process.execArgv, WORKER_SCRIPT, ...workerArgs], {
      env: { ...process.env, ...carrierEnv() },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  });
}

async function stopWorkers(workers: ChildProcess[]): Promise<void> {
  await Promise.all(
    workers.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
  const failed = workers.filter((child) => child.exitCode !== 0);
  if (failed.length > 0) throw new Error(`${failed.length} worker(s) did not exit cleanly (pids ${failed.map((c) => c.pid).join(', ')})`);
}

/** Waits until `count` workers listen on the queue, so the months spread over all of them. */
async function waitForWorkers(queue: Queue, count: number, workers: ChildProcess[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await queue.getWorkersCount()) < count) {
    const dead = workers.find((child) => child.exitCode !== null || child.signalCode !== null);
    if (dead !== undefined) throw new Error(`worker ${dead.pid} exited before it took a job`);
    if (Date.now() > deadline) throw new Error(`fewer than ${count} workers on queue ${queue.name} after 60 s`);
    await sleep(100);
  }
}

/** Every month on the queue at once; resolves with the months that failed. */
async function runOnQueue(args: Args): Promise<string[]> {
  const connection = { url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' };
  const telemetry = args.telemetry ? new BullMQOtel({ tracerName: 'bullmq' }) : undefined;
  const queue = new Queue<MonthJobData, number>(args.queue, { connection, telemetry });
  const events = new QueueEvents(args.queue, { connection });
  // Every month waits on its job at once, each with a listener on both.
  queue.setMaxListeners(args.months.length + 10);
  events.setMaxListeners(args.months.length + 10);
  const workers = startWorkers(args);
  const failed: string[] = [];
  try {
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
    if (args.workers > 0) await waitForWorkers(queue, args.workers, workers);
    await Promise.all(
      args.months.map((month) =>
        traceMonth(month, async () => {
          const carrier = getCarrier();
          if (carrier === undefined) throw new Error('getCarrier() is undefined inside a month');
          const job = await queue.add('month', { month, carrier, failMonth: args.failMonth });
          // Rejects with the worker's error message when the job fails: the month fails with it.
          await job.waitUntilFinished(events);
        }).catch((error: unknown) => {
          failed.push(month);
          logProgress(`Month ${month} failed; the other months go on`, { level: 'ERROR', error });
        }),
      ),
    );
  } finally {
    await events.close();
    await queue.obliterate({ force: true });
    await queue.close();
    await stopWorkers(workers);
  }
  return failed;
}

async function runInProcess(args: Args): Promise<string[]> {
  const failed: string[] = [];
  for (const month of args.months) {
    try {
      await traceMonth(month, () => runMonthStages(month, { failMonth: args.failMonth }));
    } catch (error) {
      failed.push(month);
      logProgress(`Month ${month} failed; the other months go on`, { level: 'ERROR', error });
    }
  }
  return failed;
}

async function main(): Promise<number> {
  const args = parseCommandLine(process.argv.slice(2));
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const ownDir = join(args.logDir, args.inProcess ? 'in-process' : 'producer');
  await start({ serviceName: 'parallel-months-bullmq', logDir: ownDir });
  let failed: string[];
  try {
    failed = args.inProcess ? await runInProcess(args) : await runOnQueue(args);
  } finally {
    await shutdown();
  }
  const folders = args.inProcess
    ? [ownDir]
    : [ownDir, ...Array.from({ length: args.workers }, (_, i) => join(args.logDir, `worker-${i + 1}`))];
  // After shutdown() here and in every worker: each process's files are complete.
  process.stdout.write(`\n${formatSessionReport(await summarizeAuditLog(folders))}\n`);
  process.stdout.write(`The same report from the files: npm run stagetrace -- report ${folders.join(' ')}\n`);
  process.stdout.write(failed.length === 0 ? 'All months succeeded.\n' : `Failed months: ${failed.sort().join(', ')}\n`);
  return failed.some((month) => month !== args.failMonth) ? 1 : 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  const usage = error instanceof UsageError;
  const detail = error instanceof Error ? (usage ? error.message : (error.stack ?? error.message)) : String(error);
  process.stderr.write(usage ? `producer: ${detail}\n\n${USAGE}` : `producer: ${detail}\n`);
  process.exitCode = usage ? 2 : 1;
}
