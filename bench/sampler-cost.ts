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
  const [withObserver, timer, idle] = await Promise.all([
    runChild<{ cpuMicros: number; sampledMicros: number; samples: number }>(child, ['observer', String(seconds)]),
    runChild<{ cpuMicros: number }>(child, ['timer', String(seconds)]),
    runChild<{ cpuMicros: number }>(child, ['idle', String(seconds)]),
  ]);
  // The observer's own work, timed in the process around every sample.
  const fraction = withObserver.sampledMicros / (seconds * 1e6);
  // Process CPU against a process woken by an empty 1 Hz timer (noisy at this scale).
  const againstTimer = Math.max(0, withObserver.cpuMicros - timer.cpuMicros) / (seconds * 1e6);
  // With the wake-ups: against a process that never wakes.
  const withWakeups = Math.max(0, withObserver.cpuMicros - idle.cpuMicros) / (seconds * 1e6);
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
        cpu_ms_empty_timer: timer.cpuMicros / 1000,
        cpu_ms_idle: idle.cpuMicros / 1000,
        samples: withObserver.samples,
        per_sample_us: Math.round(withObserver.sampledMicros / Math.max(1, withObserver.samples)),
        process_vs_timer_percent: Number((againstTimer * 100).toFixed(3)),
        process_vs_idle_percent: Number((withWakeups * 100).toFixed(3)),
      },
    },
  ];
}
