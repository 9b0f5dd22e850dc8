/**
 * 7. Outage memory: a collector down for ten minutes while the pipeline
 * produces 1,000 spans a second. The forward queue holds what it can and
 * drops the rest (counted, still in the audit files): the process's RSS
 * stays within the queue's byte bound (`otlp.maxQueueBytes`, 8 MiB by
 * default) of the same pipeline without OTLP. Both run at once, each in its
 * own process, so RSS is each one's own.
 */
import { fileURLToPath } from 'node:url';
import { type BenchResult, runChild, tempDir } from './lib.js';
import { closedPort } from './receiver.js';

const child = fileURLToPath(new URL('./outage-memory-child.ts', import.meta.url));
const MiB = 1024 * 1024;
const QUEUE_BYTES = 8 * MiB;

interface ChildResult {
  spansPerSecond: number;
  rssStart: number;
  rssPeak: number;
  rssEnd: number;
  queuedSpans: number;
  queuedBytes: number;
  dropped: number;
}

export async function outageMemory(quick: boolean): Promise<BenchResult[]> {
  const seconds = quick ? 4 : 600;
  const down = await closedPort();
  const outageDir = tempDir('outage');
  const baseDir = tempDir('outage-base');
  try {
    const [outage, base] = await Promise.all([
      runChild<ChildResult>(child, [outageDir.path, String(seconds)], { OTEL_EXPORTER_OTLP_ENDPOINT: down }),
      runChild<ChildResult>(child, [baseDir.path, String(seconds)], { OTEL_EXPORTER_OTLP_ENDPOINT: '' }),
    ]);
    const growth = (outage.rssPeak - base.rssPeak) / MiB;
    return [
      {
        name: 'outage memory',
        measure: `peak RSS, collector down ${seconds} s − no OTLP`,
        value: growth,
        unit: 'MiB',
        target: '≤ 8',
        pass: growth <= QUEUE_BYTES / MiB,
        details: {
          spans_per_s: Math.round(outage.spansPerSecond),
          rss_peak_down_mb: outage.rssPeak / MiB,
          rss_end_down_mb: outage.rssEnd / MiB,
          rss_peak_no_otlp_mb: base.rssPeak / MiB,
          queued_spans: outage.queuedSpans,
          queued_mib: outage.queuedBytes / MiB,
          dropped_spans: outage.dropped,
        },
      },
    ];
  } finally {
    outageDir.remove();
    baseDir.remove();
  }
}
