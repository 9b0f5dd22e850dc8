/**
 * A BullMQ worker process: takes month jobs from the queue and runs each
 * month's stages as children of the producer's month span, whose carrier the
 * job carries. Any number of these may run, on any host that reaches Redis;
 * each writes its own audit files and keeps its own session id, and all share
 * the producer's run id (STAGETRACE_RUN_ID, which producer.ts sets for the
 * workers it starts; set it yourself for workers started elsewhere).
 *
 *   node --import tsx examples/parallel-months/bullmq/worker.ts [--log-dir DIR] [--queue NAME] [--bullmq-telemetry]
 *
 * REDIS_URL names the Redis (default redis://127.0.0.1:6379). SIGTERM or
 * SIGINT closes the worker (BullMQ lets the running job finish) and then ends
 * the session. Because this process listens for the signals itself,
 * stagetrace leaves the running stage alone: it ends as it finishes.
 */
import { parseArgs } from 'node:util';
import { trace } from '@opentelemetry/api';
import { Worker } from 'bullmq';
import { BullMQOtel } from 'bullmq-otel';
import { type Carrier, shutdown, start } from '../../../src/index.js';
import { type MonthJobData, runMonthStages } from './month-stages.js';

const { values } = parseArgs({
  options: {
    'log-dir': { type: 'string', default: 'logs/bullmq/worker' },
    queue: { type: 'string', default: 'stagetrace-months' },
    'bullmq-telemetry': { type: 'boolean', default: false },
  },
});
const telemetry = values['bullmq-telemetry'];

/**
 * The stages' parent: the month's carrier, or with BullMQ's telemetry the
 * consumer span the job runs in (a child, through BullMQ's producer span, of
 * that month). The month's baggage (run id, month) stays either way, so the
 * stages' records name their month.
 */
function stageParent(monthCarrier: Carrier): Carrier {
  const consumer = telemetry ? trace.getActiveSpan()?.spanContext() : undefined;
  if (consumer === undefined) return monthCarrier;
  const flags = consumer.traceFlags.toString(16).padStart(2, '0');
  return { traceparent: `00-${consumer.traceId}-${consumer.spanId}-${flags}`, baggage: monthCarrier.baggage };
}

await start({ serviceName: 'parallel-months-bullmq', logDir: values['log-dir'] });

const worker = new Worker<MonthJobData, number>(
  values.queue,
  (job) => runMonthStages(job.data.month, { parent: stageParent(job.data.carrier), failMonth: job.data.failMonth }),
  {
    connection: { url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
    concurrency: 1,
    telemetry: telemetry ? new BullMQOtel({ tracerName: 'bullmq' }) : undefined,
  },
);
worker.on('error', (error) => process.stderr.write(`worker: ${error.message}\n`));
await worker.waitUntilReady();
process.stdout.write(`worker ${process.pid} ready on queue ${values.queue}\n`);

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void worker
      .close()
      .then(() => shutdown())
      .catch((error: Error) => {
        process.stderr.write(`worker: ${error.message}\n`);
        process.exitCode = 1;
      });
  });
}
