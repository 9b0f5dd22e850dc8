/**
 * Event-loop delay added by telemetry's own periodic work (memory sampler,
 * metric collection with host and runtime metrics, OTLP export): the same
 * idle-ish pipeline with and without stagetrace, each in its own process,
 * alternating, measured with `monitorEventLoopDelay` (1 ms resolution). The
 * metric interval is shortened in proportion to the run: the issue's
 * 2 minutes at 60 s become 20 s at 1 s, twenty collections instead of two
 * (harsher, not milder, for the p99). Target: p99 added < 1 ms.
 */
import { fileURLToPath } from 'node:url';
import { type BenchResult, median, runChild, tempDir } from './lib.js';
import { startSink } from './receiver.js';

const CHILD = fileURLToPath(new URL('./loop-delay-child.ts', import.meta.url));

interface Delay {
  p50: number;
  p99: number;
  max: number;
  mean: number;
  stages: number;
}

export async function loopDelay(quick: boolean): Promise<BenchResult[]> {
  const sink = await startSink();
  const dir = tempDir('loop-delay');
  const seconds = quick ? 2 : 20;
  const interval = quick ? 500 : 1000;
  const runs = quick ? 1 : 3;
  const bare: Delay[] = [];
  const telemetry: Delay[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      bare.push(await runChild<Delay>(CHILD, ['bare', sink.url, dir.path, String(seconds), String(interval)]));
      telemetry.push(await runChild<Delay>(CHILD, ['telemetry', sink.url, `${dir.path}/${i}`, String(seconds), String(interval)]));
    }
  } finally {
    await sink.close();
    dir.remove();
  }
  const p99 = (side: Delay[]) => median(side.map((d) => d.p99));
  const added = p99(telemetry) - p99(bare);
  return [
    {
      name: 'loop delay added',
      measure: 'p99 event-loop delay, telemetry − bare',
      value: added,
      unit: 'ms',
      target: '< 1',
      pass: added < 1,
      details: {
        telemetry_p99_ms: p99(telemetry),
        bare_p99_ms: p99(bare),
        telemetry_max_ms: median(telemetry.map((d) => d.max)),
        bare_max_ms: median(bare.map((d) => d.max)),
        seconds,
        metric_interval_ms: interval,
        runs,
      },
    },
  ];
}
