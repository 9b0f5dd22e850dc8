import type { IMetricReader } from '@opentelemetry/sdk-metrics';

/**
 * A pull reader serving `GET /metrics` in the Prometheus text format on
 * `host:port`. The server is unref'd (it never keeps a finished job alive)
 * and closes when the MeterProvider shuts down. A port already in use is
 * reported through `onListenError`, not thrown: metrics must not stop a run.
 * The exporter's package is loaded here, only when Prometheus is configured.
 */
export async function loadPrometheusReader(
  options: { port: number; host: string },
  onListenError: (err: unknown) => void,
): Promise<IMetricReader> {
  const { PrometheusExporter } = await import('@opentelemetry/exporter-prometheus');
  return new PrometheusExporter({ port: options.port, host: options.host }, (err) => {
    if (err) onListenError(err);
  });
}
