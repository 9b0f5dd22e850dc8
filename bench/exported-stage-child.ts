/**
 * Child of exported-stage.ts: in one process, traceStage() with `start()`
 * exporting over OTLP, against a bare OpenTelemetry span with the same 15
 * attributes exported by the SDK's BatchSpanProcessor and OTLPTraceExporter
 * of the same protocol to the same sink. Rounds alternate; each side's round
 * includes its own flush (stagetrace's: the audit files and the span
 * forward; metrics are collected on their own period, outside the rounds).
 * Prints the per-stage microseconds of each round as JSON.
 *
 * Args: sink URL, protocol, log folder or `off`, stages per round, rounds.
 * With `--only-stagetrace` it runs stagetrace's side alone (for --cpu-prof).
 */
import { trace } from '@opentelemetry/api';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { shutdown, start, traceMonth, traceStage } from '../src/index.js';
import { currentBundle } from '../src/setup/start.js';
import { alternate } from './lib.js';

const [url, protocol, logDirArg, nArg, roundsArg] = process.argv.slice(2) as [
  string,
  'http/json' | 'http/protobuf',
  string,
  string,
  string,
];
const onlyStagetrace = process.argv.includes('--only-stagetrace');
const n = Number(nArg);
const rounds = Number(roundsArg);

const components = await start({
  serviceName: 'bench',
  otlp: { endpoint: url, protocol },
  logDir: logDirArg === 'off' ? false : logDirArg,
  console: false,
  handleExit: false,
});
const session = currentBundle()?.session;
const flushStagetrace = async () => {
  await session?.forceFlush();
  await Promise.all(components.spanProcessors.map((p) => p.forceFlush()));
};

const exporterConfig = { url: `${url}/v1/traces` };
const exporter = protocol === 'http/protobuf' ? new ProtoExporter(exporterConfig) : new JsonExporter(exporterConfig);
const bsp = new BatchSpanProcessor({ exporter });
const provider = new TracerProvider({ spanProcessors: [bsp], resource: resourceFromAttributes({ 'service.name': 'bare' }) });
const tracer = provider.getTracer('bare');

const work = () => undefined;
const context = { file_key: 'raw/2024-01.csv', rows: 3 };
const perStage = (t: number) => ((performance.now() - t) * 1000) / n;

const ours = async () => {
  const t = performance.now();
  traceMonth('2024-01', () => {
    for (let i = 0; i < n; i++) traceStage('stage', work, { context });
  });
  await flushStagetrace();
  return perStage(t);
};

// The attributes stagetrace's stage span carries: 5 at the start, the two context keys, 8 at the end.
const bare = async () => {
  const t = performance.now();
  tracer.startActiveSpan('2024-01', { attributes: { 'stagetrace.kind': 'month', 'stagetrace.month': '2024-01' } }, (month) => {
    for (let i = 0; i < n; i++) {
      const started = performance.now();
      tracer.startActiveSpan(
        'stage',
        {
          attributes: {
            'stagetrace.kind': 'stage',
            'stagetrace.month': '2024-01',
            'stagetrace.stage.name': 'stage',
            'stagetrace.memory.rss_start_bytes': 120_000_000,
            'stagetrace.memory.heap_used_start_bytes': 60_000_000,
            'stagetrace.context.file_key': context.file_key,
            'stagetrace.context.rows': context.rows,
          },
        },
        (span) => {
          work();
          span.setAttributes({
            'stagetrace.outcome': 'success',
            'stagetrace.duration_us': Math.round((performance.now() - started) * 1000),
            'stagetrace.stage.slow': false,
            'stagetrace.memory.rss_end_bytes': 120_000_000,
            'stagetrace.memory.rss_delta_bytes': 0,
            'stagetrace.memory.rss_peak_bytes': 120_000_000,
            'stagetrace.memory.heap_used_end_bytes': 60_000_000,
            'stagetrace.memory.heap_used_delta_bytes': 0,
          });
          span.end();
        },
      );
    }
    month.end();
  });
  await bsp.forceFlush();
  return perStage(t);
};

if (onlyStagetrace) {
  const values: number[] = [];
  for (let i = 0; i < rounds; i++) values.push(await ours());
  console.log(JSON.stringify({ a: values, b: [] }));
} else {
  console.log(JSON.stringify(await alternate(rounds, 3, ours, bare)));
}
await shutdown();
await provider.shutdown();
trace.disable();
