/** Child of memory-flatness.ts: runs N stage executions and reports heap and RSS. Needs --expose-gc. */
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode } from '@opentelemetry/core';
import { BatchSpanProcessor, type SpanExporter, TracerProvider } from '@opentelemetry/sdk-trace';
import { createStagetrace, forceFlush, shutdown, traceMonth, traceStage } from '../src/index.js';

const [mode, totalArg, checkpointArg, logDir] = process.argv.slice(2) as [string, string, string, string];
const total = Number(totalArg);
const checkpoint = Number(checkpointArg);
const gc = (globalThis as { gc?: () => void }).gc as () => void;
const noopExporter: SpanExporter = { export: (_s, done) => done({ code: ExportResultCode.SUCCESS }), shutdown: async () => {} };
const stages = Array.from({ length: 10 }, (_, i) => `stage_${i}`);
const months = Array.from({ length: 12 }, (_, i) => `2024-${String(i + 1).padStart(2, '0')}`);

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const bsp = new BatchSpanProcessor({ exporter: noopExporter });
const processors =
  mode === 'ours'
    ? [...createStagetrace({ logDir, console: false, hostMetrics: false, maxFileBytes: 8 * 1024 * 1024, maxFiles: 1 }).spanProcessors, bsp]
    : [bsp];
const provider = new TracerProvider({ spanProcessors: processors });
trace.setGlobalTracerProvider(provider);
const tracer = provider.getTracer('bare');

const heapAfterGc = async () => {
  if (mode === 'ours') await forceFlush();
  await bsp.forceFlush();
  await new Promise((r) => setImmediate(r));
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

let done = 0;
let heapAtCheckpoint = 0;
const perMonth = total / months.length;
for (const month of months) {
  const run = () => {
    for (let i = 0; i < perMonth; i++) {
      const name = stages[i % stages.length] as string;
      if (mode === 'ours') traceStage(name, () => undefined);
      else tracer.startActiveSpan(name, (span) => span.end());
      done++;
      if (done === checkpoint) heapAtCheckpoint = -1; // measured after this month
    }
  };
  if (mode === 'ours') traceMonth(month, run);
  else
    tracer.startActiveSpan('month', (span) => {
      run();
      span.end();
    });
  // Yield so batch exports and timers run as they would in a pipeline.
  await new Promise((r) => setImmediate(r));
  if (heapAtCheckpoint === -1) heapAtCheckpoint = await heapAfterGc();
}
const heapAtEnd = await heapAfterGc();
const rss = process.memoryUsage().rss;
if (mode === 'ours') await shutdown();
await provider.shutdown();
console.log(JSON.stringify({ heapAtCheckpoint, heapAtEnd, rss, done }));
