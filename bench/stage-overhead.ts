/**
 * 1. Stage overhead: traceStage() around an empty function against a bare
 * startActiveSpan() + end() on the same SDK (a BatchSpanProcessor with a
 * no-op exporter). Audit files on (buffered), OTLP off. Each side's time
 * includes its own forceFlush(), so work deferred to a flush counts.
 */
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode } from '@opentelemetry/core';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { createStagetrace, forceFlush, shutdown, traceMonth, traceStage } from '../src/index.js';
import { alternate, type BenchResult, median, tempDir } from './lib.js';

const noopExporter: SpanExporter = {
  export: (_spans, done) => done({ code: ExportResultCode.SUCCESS }),
  shutdown: async () => {},
};

export async function stageOverhead(quick: boolean): Promise<BenchResult[]> {
  const dir = tempDir('stage');
  const n = quick ? 500 : 20_000;
  const rounds = quick ? 2 : 10;
  const st = createStagetrace({ logDir: dir.path, console: false, hostMetrics: false, maxFileBytes: 32 * 1024 * 1024, maxFiles: 2 });
  const bsp = new BatchSpanProcessor(noopExporter);
  const provider = new BasicTracerProvider({ spanProcessors: [...st.spanProcessors, bsp] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  const tracer = provider.getTracer('bare');
  const perOp = (start: number) => ((performance.now() - start) * 1000) / n;

  const bareSync = async () => {
    const t = performance.now();
    for (let i = 0; i < n; i++) tracer.startActiveSpan('stage', (span) => span.end());
    await bsp.forceFlush();
    return perOp(t);
  };
  const stageSync = async () => {
    const t = performance.now();
    traceMonth('2024-01', () => {
      for (let i = 0; i < n; i++) traceStage('stage', () => undefined);
    });
    await forceFlush();
    return perOp(t);
  };
  const bareAsync = async () => {
    const t = performance.now();
    for (let i = 0; i < n; i++) {
      await tracer.startActiveSpan('stage', async (span) => {
        span.end();
      });
    }
    await bsp.forceFlush();
    return perOp(t);
  };
  const stageAsync = async () => {
    const t = performance.now();
    await traceMonth('2024-01', async () => {
      for (let i = 0; i < n; i++) await traceStage('stage', async () => undefined);
    });
    await forceFlush();
    return perOp(t);
  };

  const results: BenchResult[] = [];
  for (const [label, ours, bare] of [
    ['sync', stageSync, bareSync],
    ['async', stageAsync, bareAsync],
  ] as const) {
    const { a, b } = await alternate(rounds, quick ? 1 : 3, ours, bare);
    const ratio = median(a) / median(b);
    results.push({
      name: `stage overhead (${label})`,
      measure: 'traceStage / bare span',
      value: ratio,
      unit: '×',
      target: '≤ 3.0',
      pass: ratio <= 3,
      details: { traceStage_us: median(a), bare_span_us: median(b), ops_per_round: n, rounds },
    });
  }
  await shutdown();
  await provider.shutdown();
  trace.disable();
  context.disable();
  dir.remove();
  return results;
}
