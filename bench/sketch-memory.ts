/**
 * 8. The summary's memory does not grow with executions: SessionStats fed
 * 100,000 then 10,000,000 stage ends; heap after GC within ±10 MB.
 */
import { fileURLToPath } from 'node:url';
import { type BenchResult, runChild } from './lib.js';

const child = fileURLToPath(new URL('./sketch-memory-child.ts', import.meta.url));
const MB = 1024 * 1024;

export async function sketchMemory(quick: boolean): Promise<BenchResult[]> {
  const total = quick ? 200_000 : 10_000_000;
  const checkpoint = quick ? 20_000 : 100_000;
  const r = await runChild<{ heapAtCheckpoint: number; heapAtEnd: number; buckets: number; executions: number }>(
    child,
    [String(total), String(checkpoint)],
    {},
    ['--expose-gc'],
  );
  const growth = (r.heapAtEnd - r.heapAtCheckpoint) / MB;
  return [
    {
      name: 'summary sketch (heap)',
      measure: `heap growth ${checkpoint} → ${total} stage ends`,
      value: growth,
      unit: 'MB',
      target: '±10',
      pass: Math.abs(growth) <= 10,
      details: {
        heap_at_checkpoint_mb: r.heapAtCheckpoint / MB,
        heap_at_end_mb: r.heapAtEnd / MB,
        buckets_all_stages: r.buckets,
        executions: r.executions,
      },
    },
  ];
}
