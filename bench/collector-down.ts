/**
 * 5. Collector down: the demo-like workload with the OTLP endpoint refusing
 * connections runs at ≥ 0.9× the throughput of the same workload with a
 * responsive receiver, with bounded memory.
 */
import { fileURLToPath } from 'node:url';
import { type BenchResult, median, runChild, tempDir } from './lib.js';
import { closedPort, startSink } from './receiver.js';

const child = fileURLToPath(new URL('./workload-child.ts', import.meta.url));
const MB = 1024 * 1024;

interface Workload {
  stagesPerSecond: number;
  peakRss: number;
}

export async function collectorDown(quick: boolean): Promise<BenchResult[]> {
  const stages = quick ? 200 : 10_000;
  const runs = quick ? 1 : 3;
  const sink = await startSink();
  const down = await closedPort();
  const up: Workload[] = [];
  const dn: Workload[] = [];
  for (let i = 0; i < runs; i++) {
    for (const [endpoint, into] of [
      [sink.url, up],
      [down, dn],
    ] as const) {
      const dir = tempDir('down');
      into.push(await runChild<Workload>(child, [dir.path, String(stages)], { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }));
      dir.remove();
    }
  }
  await sink.close();
  const ratio = median(dn.map((r) => r.stagesPerSecond)) / median(up.map((r) => r.stagesPerSecond));
  const rssDown = median(dn.map((r) => r.peakRss)) / MB;
  const rssUp = median(up.map((r) => r.peakRss)) / MB;
  return [
    {
      name: 'collector down',
      measure: 'throughput refused / responsive',
      value: ratio,
      unit: '×',
      target: '≥ 0.9',
      pass: ratio >= 0.9,
      details: {
        stages_per_s_up: Math.round(median(up.map((r) => r.stagesPerSecond))),
        stages_per_s_down: Math.round(median(dn.map((r) => r.stagesPerSecond))),
        peak_rss_up_mb: Math.round(rssUp),
        peak_rss_down_mb: Math.round(rssDown),
      },
    },
  ];
}
