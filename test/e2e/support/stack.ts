/**
 * The stack docker-compose.yml describes, as local processes on free
 * loopback ports: Jaeger, VictoriaLogs, the collector (or, in the gateway topology, two
 * agents and a gateway) and Prometheus, each run with the file the
 * repository ships. Only addresses and data folders change, through the
 * environment variables those files read (and, for Prometheus, which reads
 * none, its flags and the targets file beside its unchanged configuration).
 * Every data folder lives in the work folder, so a service stopped and
 * started again finds what it held, as a container does on its volume.
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from '../../helpers/run-node.js';
import { freePorts, ServiceProcess } from './processes.js';
import type { StackTools } from './stack-tools.js';

/** The files the stack runs with; docker-compose.yml must mount the same ones. */
export const SHIPPED = {
  collectorConfig: 'collector-config.yaml',
  agentConfig: 'deploy/otelcol/agent.yaml',
  gatewayConfig: 'deploy/otelcol/gateway.yaml',
  jaegerConfig: 'deploy/jaeger/config.yaml',
  prometheusConfig: 'deploy/prometheus/prometheus.yml',
  prometheusTargets: 'deploy/prometheus/collector-targets.yml',
} as const;

/** Prometheus's retention as docker-compose.yml sets it by default (shipped-files checks the two agree). */
export const PROMETHEUS_RETENTION = '410d';

/** A service that can be stopped and started again on the same ports and data folder. */
export interface Restartable {
  /** SIGTERM (the service drains and closes its store), as a deploy or a node drain would. */
  stop(): Promise<void>;
  /** Starts it again and waits until it is healthy. */
  start(): Promise<void>;
}

export interface RunningStack {
  /** Where a process sends OTLP/HTTP: the collector, or the first agent in the gateway topology. */
  otlpHttpUrl: string;
  /** The gateway topology's agents, one OTLP/HTTP URL each (the collector alone otherwise). */
  agentUrls: string[];
  /** Jaeger's query API and UI base URL. */
  jaegerUrl: string;
  /** VictoriaLogs' base URL (LogsQL queries under /select/logsql/query). */
  victoriaLogsUrl: string;
  prometheusUrl: string;
  /** The Prometheus exporter (collector's or gateway's), as Prometheus scrapes it. */
  exporterUrl: string;
  services: ServiceProcess[];
  jaeger: Restartable;
  prometheus: Restartable;
  /** The collector, or the gateway in the gateway topology. */
  collector: Restartable;
  /** The gateway topology's agents (none otherwise), in the order of `agentUrls`. */
  agents: Restartable[];
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
  /** `single` (default): collector-config.yaml; `gateway`: two agents in front of a gateway. */
  topology?: 'single' | 'gateway';
}

const loopback = (port: number) => `127.0.0.1:${port}`;

interface ServiceSpec {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  healthUrl: string;
}

/**
 * Starts Jaeger, then the collector tier, then Prometheus, each waited for
 * on its health endpoint. On any failure the ones already started are
 * stopped before the error is thrown.
 */
export async function startStack(tools: StackTools, workDir: string, options: StackOptions = {}): Promise<RunningStack> {
  const services: ServiceProcess[] = [];
  const restartable = (spec: ServiceSpec): Restartable => {
    let starts = 0;
    return {
      start: async () => {
        starts++;
        const service = ServiceProcess.start(spec.name, spec.command, spec.args, {
          env: spec.env ?? {},
          logFile: join(workDir, starts === 1 ? `${spec.name}.log` : `${spec.name}-${starts}.log`),
        });
        services.push(service);
        await service.waitHealthy(spec.healthUrl);
      },
      stop: async () => {
        await Promise.all(services.filter((s) => s.name === spec.name && s.exitInfo === undefined).map((s) => s.stop()));
      },
    };
  };

  /** A collector process running `config`, every address on a free port, its queue in the work folder. */
  const collectorSpec = async (name: string, config: string, extraEnv: Record<string, string>) => {
    const [grpc, http, health, exporter, telemetry] = (await freePorts(5)) as [number, number, number, number, number];
    const spec: ServiceSpec = {
      name,
      command: tools.otelcol,
      args: ['--config', join(REPO_ROOT, config)],
      env: {
        COLLECTOR_OTLP_GRPC_ENDPOINT: loopback(grpc),
        COLLECTOR_OTLP_HTTP_ENDPOINT: loopback(http),
        COLLECTOR_HEALTH_ENDPOINT: loopback(health),
        COLLECTOR_PROMETHEUS_ENDPOINT: loopback(exporter),
        COLLECTOR_TELEMETRY_HOST: '127.0.0.1',
        COLLECTOR_TELEMETRY_PORT: String(telemetry),
        COLLECTOR_QUEUE_DIR: join(workDir, `${name}-queue`),
        ...extraEnv,
      },
      healthUrl: `http://${loopback(health)}/`,
    };
    return { spec, grpc, http, exporter };
  };

  const [jaegerOtlp, jaegerHttp, jaegerGrpc, jaegerHealth, prometheusPort, logsPort] = (await freePorts(6)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const jaeger = restartable({
    name: 'jaeger',
    command: tools.jaeger,
    args: ['--config', join(REPO_ROOT, SHIPPED.jaegerConfig)],
    env: {
      JAEGER_OTLP_GRPC_ENDPOINT: loopback(jaegerOtlp),
      JAEGER_QUERY_HTTP_ENDPOINT: loopback(jaegerHttp),
      JAEGER_QUERY_GRPC_ENDPOINT: loopback(jaegerGrpc),
      JAEGER_HEALTH_ENDPOINT: loopback(jaegerHealth),
      JAEGER_BADGER_DIR: join(workDir, 'jaeger-badger'),
    },
    healthUrl: `http://${loopback(jaegerHealth)}/status`,
  });

  const victoriaLogsUrl = `http://${loopback(logsPort)}`;
  const victoriaLogs = restartable({
    name: 'victoria-logs',
    command: tools.victoriaLogs,
    args: [`-httpListenAddr=${loopback(logsPort)}`, `-storageDataPath=${join(workDir, 'victoria-logs-data')}`],
    healthUrl: `${victoriaLogsUrl}/health`,
  });

  const toJaeger = {
    COLLECTOR_JAEGER_ENDPOINT: loopback(jaegerOtlp),
    COLLECTOR_VICTORIALOGS_LOGS_URL: `${victoriaLogsUrl}/insert/opentelemetry/v1/logs`,
  };
  const front =
    options.topology === 'gateway'
      ? await collectorSpec('otelcol-gateway', SHIPPED.gatewayConfig, toJaeger)
      : await collectorSpec('otelcol', SHIPPED.collectorConfig, toJaeger);
  const collector = restartable(front.spec);
  const agentSpecs =
    options.topology === 'gateway'
      ? await Promise.all(
          [1, 2].map((n) => collectorSpec(`otelcol-agent-${n}`, SHIPPED.agentConfig, { COLLECTOR_GATEWAY_ENDPOINT: loopback(front.grpc) })),
        )
      : [];

  // Prometheus reads no environment: its unchanged configuration is copied
  // next to a targets file naming this collector (the shipped targets file
  // names the docker-compose services), as file_sd resolves it relative to
  // the configuration file.
  const promDir = join(workDir, 'prometheus');
  const prometheusUrl = `http://${loopback(prometheusPort)}`;
  const prometheus = restartable({
    name: 'prometheus',
    command: tools.prometheus,
    args: [
      `--config.file=${join(promDir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(promDir, 'data')}`,
      `--storage.tsdb.retention.time=${PROMETHEUS_RETENTION}`,
      `--web.listen-address=${loopback(prometheusPort)}`,
    ],
    healthUrl: `${prometheusUrl}/-/ready`,
  });

  const agents = agentSpecs.map((a) => restartable(a.spec));
  const agentUrls = agentSpecs.length > 0 ? agentSpecs.map((a) => `http://${loopback(a.http)}`) : [`http://${loopback(front.http)}`];
  const stack: RunningStack = {
    otlpHttpUrl: agentUrls[0] as string,
    agentUrls,
    jaegerUrl: `http://${loopback(jaegerHttp)}`,
    victoriaLogsUrl,
    prometheusUrl,
    exporterUrl: `http://${loopback(front.exporter)}/metrics`,
    services,
    jaeger,
    prometheus,
    collector,
    agents,
    describe: () => services.map((s) => s.describe()).join('\n'),
    startCollector: collector.start,
    stopCollector: collector.stop,
    stop: async () => {
      await Promise.all(services.map((s) => s.stop()));
    },
  };
  try {
    await jaeger.start();
    await victoriaLogs.start();
    await collector.start();
    await Promise.all(agents.map((a) => a.start()));
    if (options.prometheus === false) return stack;
    await mkdir(join(promDir, 'data'), { recursive: true });
    await copyFile(join(REPO_ROOT, SHIPPED.prometheusConfig), join(promDir, 'prometheus.yml'));
    await writeFile(join(promDir, 'collector-targets.yml'), `- targets: ['${loopback(front.exporter)}']\n`);
    await prometheus.start();
    return stack;
  } catch (error) {
    await stack.stop();
    throw error;
  }
}
