/**
 * Stage cost with export on (issue 23): traceStage() exporting over OTLP
 * against a bare OpenTelemetry span with the same attributes exported by the
 * SDK's own BatchSpanProcessor and OTLPTraceExporter, to the same loopback
 * sink, for both protocols, with the audit files on and off. Each
 * configuration runs in its own child process (start() installs global
 * providers); the sink runs here, so serving requests costs neither side.
 * Targets: ≤ 1.2× with `logDir: false`, ≤ 1.6× with the files on.
 */
import { fileURLToPath } from 'node:url';
import { type BenchResult, median, runChild, tempDir } from './lib.js';
import { startSink } from './receiver.js';

const CHILD = fileURLToPath(new URL('./exported-stage-child.ts', import.meta.url));

export async function exportedStage(quick: boolean): Promise<BenchResult[]> {
  const sink = await startSink();
  const dir = tempDir('exported');
  const n = quick ? 100 : 1000; // within both processors' 2048-span queues, so neither side drops
  const rounds = quick ? 2 : 20;
  const results: BenchResult[] = [];
  try {
    for (const protocol of ['http/protobuf', 'http/json'] as const) {
      for (const files of [false, true]) {
        const logDir = files ? `${dir.path}/${protocol.replace('/', '-')}` : 'off';
        const { a, b } = await runChild<{ a: number[]; b: number[] }>(CHILD, [sink.url, protocol, logDir, String(n), String(rounds)]);
        const ratio = median(a) / median(b);
        const target = files ? 1.6 : 1.2;
        results.push({
          name: `exported (${protocol === 'http/protobuf' ? 'proto' : 'json'}, ${files ? 'files' : 'no files'})`,
          measure: 'traceStage / bare exported span',
          value: ratio,
          unit: '×',
          target: `≤ ${target}`,
          pass: ratio <= target,
          details: { traceStage_us: median(a), bare_span_us: median(b), stages_per_round: n, rounds },
        });
      }
    }
  } finally {
    await sink.close();
    dir.remove();
  }
  return results;
}
