/**
 * 4. Burst without loss: 200,000 stage spans as fast as possible with OTLP
 * on. Every audit record must be in the files; the OTLP side may drop, and
 * its drops must be counted.
 */
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { forceFlush, getSessionSummary, shutdown, start, traceMonth, traceStage } from '../src/index.js';
import type { BenchResult } from './lib.js';
import { tempDir } from './lib.js';
import { startSink } from './receiver.js';

async function countLines(path: string, needle: string): Promise<number> {
  let count = 0;
  for await (const line of createInterface({ input: createReadStream(path) })) if (line.includes(needle)) count++;
  return count;
}

export async function burst(quick: boolean): Promise<BenchResult[]> {
  const n = quick ? 2_000 : 200_000;
  const dir = tempDir('burst');
  const sink = await startSink();
  await start({
    logDir: dir.path,
    console: false,
    hostMetrics: false,
    handleExit: false,
    otlp: { endpoint: sink.url },
    maxFileBytes: 2 ** 31,
    metricExportIntervalMillis: 600_000,
  });
  const t = performance.now();
  traceMonth('2024-01', () => {
    for (let i = 0; i < n; i++) traceStage('burst', () => undefined);
  });
  await forceFlush();
  const seconds = (performance.now() - t) / 1000;
  const summary = getSessionSummary();
  await shutdown();
  const ends = await countLines(join(dir.path, 'structured_processing.jsonl'), '"record_type":"stage","timestamp"');
  const perf = await countLines(join(dir.path, 'performance_metrics.jsonl'), '"record_type":"stage"');
  await sink.close();
  dir.remove();
  // Each stage writes a start and an end line to the structured file.
  const lost = n * 2 - ends + (n - perf);
  return [
    {
      name: 'burst without loss',
      measure: `audit records lost of ${n} stages`,
      value: lost,
      unit: 'records',
      target: '= 0',
      pass: lost === 0,
      details: {
        stages_per_s: Math.round(n / seconds),
        otlp_dropped_spans: summary.otlp.dropped_spans,
        otlp_requests: sink.requests(),
        drops_counted: summary.otlp.dropped_spans >= 0 ? 'yes' : 'no',
      },
    },
  ];
}
