/**
 * 2. Logging throughput: logProgress() with a two-key context to the audit
 * files (console off, buffered) against pino writing a record with the same
 * fields to a file — where users call it, inside a stage inside a month,
 * and outside any month. Target ≥ 1.0× pino's throughput in both.
 * Then inside a stage again with the logs signal on: a global LoggerProvider
 * registered (as a user's NodeSDK does), each message also a log record
 * through a batch processor to an exporter that takes everything. Target ≥ 1.5×.
 */
import { join } from 'node:path';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode } from '@opentelemetry/core';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import pino from 'pino';
import { createStagetrace, forceFlush, logProgress, shutdown, traceMonth, traceStage } from '../src/index.js';
import { loadLogsApi } from '../src/setup/logs-api.js';
import { alternate, type BenchResult, median, tempDir } from './lib.js';

export async function loggingThroughput(quick: boolean): Promise<BenchResult[]> {
  const dir = tempDir('log');
  const n = quick ? 1000 : 100_000;
  const rounds = quick ? 2 : 8;
  const st = createStagetrace({
    logDir: join(dir.path, 'stagetrace'),
    console: false,
    hostMetrics: false,
    maxFileBytes: 32 * 1024 * 1024,
    maxFiles: 2,
  });
  // A user's SDK, so that messages inside a stage also become span events, as they do in production.
  const bsp = new BatchSpanProcessor({
    exporter: { export: (_spans, done) => done({ code: ExportResultCode.SUCCESS }), shutdown: async () => {} },
  });
  const provider = new TracerProvider({ spanProcessors: [...st.spanProcessors, bsp] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  // Synchronous: in a loop that never yields, pino's asynchronous destination only queues (measured slower here).
  const destination = pino.destination({ dest: join(dir.path, 'pino.log'), sync: true });
  const logger = pino({ base: { session_id: 'bench-session' }, timestamp: pino.stdTimeFunctions.isoTime }, destination);

  const loop = () => {
    for (let i = 0; i < n; i++) logProgress('processed batch', { context: { batch: i, rows: 500 } });
  };
  const oursOutside = async () => {
    const t = performance.now();
    loop();
    await forceFlush();
    return n / ((performance.now() - t) / 1000);
  };
  const oursInStage = async () => {
    const t = performance.now();
    traceMonth('2024-01', () => traceStage('process', loop));
    await forceFlush();
    return n / ((performance.now() - t) / 1000);
  };
  // pino with the fields a stagetrace message record carries.
  const where = { month: '2024-01', stage: 'process', trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: '00f067aa0ba902b7' };
  const theirs = async () => {
    const t = performance.now();
    for (let i = 0; i < n; i++) logger.info({ ...where, context: { batch: i, rows: 500 }, memory_mb: 120.5 }, 'processed batch');
    await new Promise<void>((resolve) => destination.flush(() => resolve()));
    return n / ((performance.now() - t) / 1000);
  };
  const inStage = await alternate(rounds, quick ? 1 : 2, oursInStage, theirs);
  const outside = await alternate(rounds, quick ? 1 : 2, oursOutside, theirs);
  // The logs signal on: what a user's NodeSDK with a log processor does.
  const loggerProvider = new LoggerProvider({
    processors: [
      new BatchLogRecordProcessor({
        exporter: {
          export: (_records, done) => done({ code: ExportResultCode.SUCCESS }),
          forceFlush: async () => {},
          shutdown: async () => {},
        },
      }),
    ],
  });
  const logsApi = (await loadLogsApi()) as unknown as { setGlobalLoggerProvider(p: LoggerProvider): unknown; disable(): void };
  logsApi.setGlobalLoggerProvider(loggerProvider);
  const withLogs = await alternate(rounds, quick ? 1 : 2, oursInStage, theirs);
  await shutdown();
  await loggerProvider.shutdown();
  logsApi.disable();
  destination.end();
  await provider.shutdown();
  trace.disable();
  context.disable();
  dir.remove();
  const result = (name: string, { a, b }: { a: number[]; b: number[] }): BenchResult => {
    const ratio = median(a) / median(b);
    return {
      name,
      measure: 'logProgress / pino',
      value: ratio,
      unit: '×',
      target: '≥ 1.0',
      pass: ratio >= 1,
      details: { logProgress_per_s: Math.round(median(a)), pino_per_s: Math.round(median(b)), messages_per_round: n, rounds },
    };
  };
  const logsOn = result('logging, log records on', withLogs);
  // What the log record adds to one message, from the two in-stage legs.
  const recordUs = 1e6 / median(withLogs.a) - 1e6 / median(inStage.a);
  logsOn.target = '≥ 1.5';
  logsOn.pass = logsOn.value >= 1.5;
  logsOn.details = { ...logsOn.details, log_record_cost_us_per_message: Math.round(recordUs * 100) / 100 };
  return [result('logging in a stage', inStage), result('logging outside a month', outside), logsOn];
}
