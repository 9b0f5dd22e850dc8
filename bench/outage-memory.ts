/**
 * 7. Outage memory: a collector down for ten minutes while the pipeline
 * produces 1,000 spans a second. The forward queue holds what it can and
 * drops the rest (counted, still in the audit files): the process's RSS
 * stays within the queue's byte bound (`otlp.maxQueueBytes`, 8 MiB by
 * default) of the same pipeline sending to a collector that answers. RSS is
 * compared in the steady state (the median of the second half; the peaks,
 * printed beside it, follow the export batches and the garbage collector).
 * Both run at once, each in its own process, so RSS is each one's own.
 */
import { fileURLToPath } from 'node:url';
import { type BenchResult, runChild, tempDir } from './lib.js';
import { closedPort, startSink } from './receiver.js';

const child = fileURLToPath(new URL('./outage-memory-child.ts', import.meta.url));
const MiB = 1024 * 1024;
const QUEUE_BYTES = 8 * MiB;

interface ChildResult {
  spansPerSecond: number;
  rssMedian: number;
  rssPeak: number;
  rssEnd: number;
  queuedSpans: number;
  queuedBytes: number;
  dropped: number;
}

export async function outageMemory(quick: boolean): Promise<BenchResult[]> {
  const seconds = quick ? 4 : Number(process.env.BENCH_OUTAGE_SECONDS ?? 600);
  const down = await closedPort();
  const sink = await startSink();
  const outageDir = tempDir('outage');
  const baseDir = tempDir('outage-base');
  try {
    const [outage, base] = await Promise.all([
      runChild<ChildResult>(child, [outageDir.path, String(seconds)], { OTEL_EXPORTER_OTLP_ENDPOINT: down }),
      runChild<ChildResult>(child, [baseDir.path, String(seconds)], { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url }),
    ]);
    const growth = (outage.rssMedian - base.rssMedian) / MiB;
    return [
      {
        name: 'outage memory',
        measure: `RSS, collector down ${seconds} s − up`,
        value: growth,
        unit: 'MiB',
        target: '≤ 8',
        pass: growth <= QUEUE_BYTES / MiB,
        details: {
          spans_per_s: Math.round(outage.spansPerSecond),
          rss_median_down_mb: outage.rssMedian / MiB,
          rss_median_up_mb: base.rssMedian / MiB,
          rss_peak_down_mb: outage.rssPeak / MiB,
          rss_peak_up_mb: base.rssPeak / MiB,
          queued_spans: outage.queuedSpans,
          queued_mib: outage.queuedBytes / MiB,
          dropped_spans: outage.dropped,
        },
      },
    ];
  } finally {
    await sink.close();
    outageDir.remove();
    baseDir.remove();
  }
}
