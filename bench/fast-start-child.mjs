// One side of the fast-start benchmark, plain JavaScript under plain node (no
// tsx). Prints { ms }: milliseconds from the process's start
// (performance.timeOrigin) to the point each side reaches:
//   api: `import('@opentelemetry/api')` resolved;
//   ours-import <built index.js>: `import('stagetrace')` resolved;
//   ours-first <built index.js> <url> [logs|nologs]: imported, start() with
//     OTLP traces, metrics and (unless nologs) log records to <url>, and one
//     stage recorded;
//   sdk-first - <url> [logs|nologs]: a bare NodeSDK with the same exporters
//     (OTLP protobuf traces, periodic OTLP protobuf metrics, unless nologs
//     OTLP/JSON logs through a batch processor, as start() configures them)
//     imported, started, and one span ended.
// The process then exits without flushing: only the way to the first stage counts.
import { pathToFileURL } from 'node:url';

const [mode, built, url, signals = 'logs'] = process.argv.slice(2);
const logs = signals !== 'nologs';
const done = () => {
  console.log(JSON.stringify({ ms: performance.now() }));
  process.exit(0);
};
if (mode === 'api') {
  await import('@opentelemetry/api');
  done();
} else if (mode === 'ours-import') {
  await import(pathToFileURL(built).href);
  done();
} else if (mode === 'ours-first') {
  const { start, traceStage } = await import(pathToFileURL(built).href);
  await start({ otlp: { endpoint: url }, logs, logDir: false, console: false, hostMetrics: false, handleExit: false });
  traceStage('first', () => undefined);
  done();
} else if (mode === 'sdk-first') {
  const [{ NodeSDK }, { OTLPTraceExporter }, { OTLPMetricExporter }, { PeriodicExportingMetricReader }, { BatchSpanProcessor }, { trace }] =
    await Promise.all([
      import('@opentelemetry/sdk-node'),
      import('@opentelemetry/exporter-trace-otlp-proto'),
      import('@opentelemetry/exporter-metrics-otlp-proto'),
      import('@opentelemetry/sdk-metrics'),
      import('@opentelemetry/sdk-trace'),
      import('@opentelemetry/api'),
    ]);
  const logRecordProcessors = [];
  if (logs) {
    const [{ BatchLogRecordProcessor }, { OTLPLogExporter }] = await Promise.all([
      import('@opentelemetry/sdk-logs'),
      import('@opentelemetry/exporter-logs-otlp-http'),
    ]);
    logRecordProcessors.push(new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${url}/v1/logs` }) }));
  }
  const sdk = new NodeSDK({
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${url}/v1/traces` }) })],
    metricReaders: [new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url: `${url}/v1/metrics` }) })],
    logRecordProcessors,
    instrumentations: [],
  });
  sdk.start();
  trace.getTracer('bare').startActiveSpan('first', (span) => span.end());
  done();
} else {
  throw new Error(`unknown mode ${mode}`);
}
