/**
 * 3. Memory flatness: 1,000,000 stage executions over 10 stage names and 12
 * months. Heap after GC at the end within 10 MB of the heap at ~100,000, and
 * RSS overhead against the same run on bare OpenTelemetry under 10 MB.
 * Each side runs in its own process so RSS is its own.
 */
import { fileURLToPath } from 'node:url';
import { type BenchResult, median, runChild, tempDir } from './lib.js';

const child = fileURLToPath(new URL('./memory-flatness-child.ts', import.meta.url));
const MB = 1024 * 1024;

interface ChildResult {
  heapAtCheckpoint: number;
  heapAtEnd: number;
  rss: number;
}

export async function memoryFlatness(quick: boolean): Promise<BenchResult[]> {
  const total = quick ? 12_000 : 1_200_000; // a multiple of 12 months; ≥ 1,000,000
  const checkpoint = quick ? 1_000 : 100_000;
  const runs = quick ? 1 : 2;
  const ours: ChildResult[] = [];
  const bare: ChildResult[] = [];
  for (let i = 0; i < runs; i++) {
    const dir = tempDir('memory');
    ours.push(await runChild<ChildResult>(child, ['ours', String(total), String(checkpoint), dir.path], {}, ['--expose-gc']));
    dir.remove();
    bare.push(await runChild<ChildResult>(child, ['bare', String(total), String(checkpoint), '-'], {}, ['--expose-gc']));
  }
  const growth = median(ours.map((r) => r.heapAtEnd - r.heapAtCheckpoint)) / MB;
  const rssOverhead = (median(ours.map((r) => r.rss)) - median(bare.map((r) => r.rss))) / MB;
  return [
    {
      name: 'memory flatness (heap)',
      measure: `heap growth ${checkpoint} → ${total} stages`,
      value: growth,
      unit: 'MB',
      target: '≤ 10',
      pass: Math.abs(growth) <= 10,
      details: {
        heap_at_checkpoint_mb: median(ours.map((r) => r.heapAtCheckpoint)) / MB,
        heap_at_end_mb: median(ours.map((r) => r.heapAtEnd)) / MB,
      },
    },
    {
      name: 'memory flatness (RSS)',
      measure: 'RSS stagetrace − bare OpenTelemetry',
      value: rssOverhead,
      unit: 'MB',
      target: '< 10',
      pass: rssOverhead < 10,
      details: { rss_ours_mb: median(ours.map((r) => r.rss)) / MB, rss_bare_mb: median(bare.map((r) => r.rss)) / MB },
    },
  ];
}
