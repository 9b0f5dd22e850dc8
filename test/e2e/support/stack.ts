/**
 * The stack docker-compose.yml describes, as local processes on free
 * loopback ports: Jaeger, VictoriaLogs, the collector and Prometheus, each run with the
 * file the repository ships. Only addresses change, through the environment
 * variables those files read (and, for Prometheus, which reads none, its
 * listen flag and the targets file beside its unchanged configuration).
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from '../../helpers/run-node.js';
import { freePorts, ServiceProcess } from './processes.js';
import type { StackTools } from './stack-tools.js';

/** The files the stack runs with; docker-compose.yml must mount the same ones. */
export const SHIPPED = {
  collectorConfig: 'collector-config.yaml',
  jaegerConfig: 'deploy/jaeger/config.yaml',
  prometheusConfig: 'deploy/prometheus/prometheus.yml',
  prometheusTargets: 'deploy/prometheus/collector-targets.yml',
} as const;

export interface RunningStack {
  /** Where the demo sends OTLP/HTTP: `http://127.0.0.1:<port>`. */
  otlpHttpUrl: string;
  /** Jaeger's query API and UI base URL. */
  jaegerUrl: string;
  /** VictoriaLogs' base URL (LogsQL queries under /select/logsql/query). */
  victoriaLogsUrl: string;
  prometheusUrl: string;
  /** The collector's Prometheus exporter, as Prometheus scrapes it. */
  exporterUrl: string;
  services: ServiceProcess[];
  /** The services' exit status and last output, for failure messages. */
  describe(): string;
  /** Stops the collector (SIGTERM: it drains what it holds), as a deploy or a node drain would. */
  stopCollector(): Promise<void>;
  /** Starts the collector again on the same ports and waits until it is healthy. */
  startCollector(): Promise<void>;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** Start Prometheus too (default true); the delivery tests need only the collector and Jaeger. */
  prometheus?: boolean;
}

const loopback = (port: number) => `127.0.0.1:${port}`;

/**
 * Starts Jaeger, then the collector, then Prometheus, each waited for on its
 * health endpoint. On any failure the ones already started are stopped
 * before the error is thrown.
 */
export async function startStack(tools: StackTools, workDir: string, options: StackOptions = {}): Promise<RunningStack> {
  const [
    jaegerOtlp,
    jaegerHttp,
    jaegerGrpc,
    jaegerHealth,
    otlpGrpc,
    otlpHttp,
    collectorHealth,
    exporter,
    collectorTelemetry,
    prometheus,
    logs,
  ] = (await freePorts(11)) as [number, number, number, number, number, number, number, number, number, number, number];
  const services: ServiceProcess[] = [];
  let collectorStarts = 0;
  const startCollector = async () => {
    collectorStarts++;
    const collector = ServiceProcess.start('otelcol', tools.otelcol, ['--config', join(REPO_ROOT, SHIPPED.collectorConfig)], {
      env: {
        COLLECTOR_OTLP_GRPC_ENDPOINT: loopback(otlpGrpc),
        COLLECTOR_OTLP_HTTP_ENDPOINT: loopback(otlpHttp),
        COLLECTOR_HEALTH_ENDPOINT: loopback(collectorHealth),
        COLLECTOR_PROMETHEUS_ENDPOINT: loopback(exporter),
        COLLECTOR_TELEMETRY_HOST: '127.0.0.1',
        COLLECTOR_TELEMETRY_PORT: String(collectorTelemetry),
        COLLECTOR_JAEGER_ENDPOINT: loopback(jaegerOtlp),
        COLLECTOR_VICTORIALOGS_LOGS_URL: `http://${loopback(logs)}/insert/opentelemetry/v1/logs`,
      },
      logFile: join(workDir, collectorStarts === 1 ? 'otelcol.log' : `otelcol-${collectorStarts}.log`),
    });
    services.push(collector);
    await collector.waitHealthy(`http://${loopback(collectorHealth)}/`);
  };
  const stack: RunningStack = {
    otlpHttpUrl: `http://${loopback(otlpHttp)}`,
    jaegerUrl: `http://${loopback(jaegerHttp)}`,
    victoriaLogsUrl: `http://${loopback(logs)}`,
    prometheusUrl: `http://${loopback(prometheus)}`,
    exporterUrl: `http://${loopback(exporter)}/metrics`,
    services,
    describe: () => services.map((s) => s.describe()).join('\n'),
    startCollector,
    stopCollector: async () => {
      await Promise.all(services.filter((s) => s.name === 'otelcol' && s.exitInfo === undefined).map((s) => s.stop()));
    },
    stop: async () => {
      await Promise.all(services.map((s) => s.stop()));
    },
  };
  try {
    const jaeger = ServiceProcess.start('jaeger', tools.jaeger, ['--config', join(REPO_ROOT, SHIPPED.jaegerConfig)], {
      env: {
        JAEGER_OTLP_GRPC_ENDPOINT: loopback(jaegerOtlp),
        JAEGER_QUERY_HTTP_ENDPOINT: loopback(jaegerHttp),
        JAEGER_QUERY_GRPC_ENDPOINT: loopback(jaegerGrpc),
        JAEGER_HEALTH_ENDPOINT: loopback(jaegerHealth),
      },
      logFile: join(workDir, 'jaeger.log'),
    });
    services.push(jaeger);
    await jaeger.waitHealthy(`http://${loopback(jaegerHealth)}/status`);

    const logsDir = join(workDir, 'victoria-logs-data');
    await mkdir(logsDir, { recursive: true });
    const victoriaLogs = ServiceProcess.start(
      'victoria-logs',
      tools.victoriaLogs,
      [`-httpListenAddr=${loopback(logs)}`, `-storageDataPath=${logsDir}`],
      { logFile: join(workDir, 'victoria-logs.log') },
    );
    services.push(victoriaLogs);
    await victoriaLogs.waitHealthy(`${stack.victoriaLogsUrl}/health`);

    await startCollector();
    if (options.prometheus === false) return stack;

    // Prometheus reads no environment: its unchanged configuration is copied
    // next to a targets file naming this collector (the shipped targets file
    // names the docker-compose service), as file_sd resolves it relative to
    // the configuration file.
    const promDir = join(workDir, 'prometheus');
    await mkdir(join(promDir, 'data'), { recursive: true });
    await copyFile(join(REPO_ROOT, SHIPPED.prometheusConfig), join(promDir, 'prometheus.yml'));
    await writeFile(join(promDir, 'collector-targets.yml'), `- targets: ['${loopback(exporter)}']\n`);
    const prom = ServiceProcess.start(
      'prometheus',
      tools.prometheus,
      [
        `--config.file=${join(promDir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(promDir, 'data')}`,
        `--web.listen-address=${loopback(prometheus)}`,
      ],
      { logFile: join(workDir, 'prometheus.log') },
    );
    services.push(prom);
    await prom.waitHealthy(`${stack.prometheusUrl}/-/ready`);
    return stack;
  } catch (error) {
    await stack.stop();
    throw error;
  }
}
