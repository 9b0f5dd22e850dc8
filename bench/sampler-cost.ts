/**
 * 6. Sampler cost: CPU used by the memory observer at 1 Hz over 60 s, as a
 * fraction of one core, against the same idle process without it (both run
 * at the same time).
 */
import { fileURLToPath } from 'node:url';
import { type BenchResult, runChild } from './lib.js';

const child = fileURLToPath(new URL('./sampler-child.ts', import.meta.url));

export async function samplerCost(quick: boolean): Promise<BenchResult[]> {
  const seconds = quick ? 2 : 60;
  const [withObserver, without] = await Promise.all([
    runChild<{ cpuMicros: number }>(child, ['observer', String(seconds)]),
    runChild<{ cpuMicros: number }>(child, ['idle', String(seconds)]),
  ]);
  const fraction = Math.max(0, withObserver.cpuMicros - without.cpuMicros) / (seconds * 1e6);
  return [
    {
      name: 'sampler cost',
      measure: `memory observer CPU at 1 Hz over ${seconds} s`,
      value: fraction * 100,
      unit: '% of a core',
      target: '< 0.1',
      pass: fraction < 0.001,
      details: {
        cpu_ms_with_observer: withObserver.cpuMicros / 1000,
        cpu_ms_idle: without.cpuMicros / 1000,
        per_sample_us: Math.round(Math.max(0, withObserver.cpuMicros - without.cpuMicros) / seconds),
      },
    },
  ];
}
