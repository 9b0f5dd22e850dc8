/**
 * The files users run the stack with, checked by the tools that will read
 * them: the collector and Jaeger validate their configurations, promtool the
 * scrape configuration, docker-compose the compose file. And the compose
 * file is held to what the end-to-end suite ran: the same mounted files,
 * the versions tested, loopback-only ports.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cleanEnv, REPO_ROOT } from '../helpers/run-node.js';
import { DASHBOARD_FILE, provisionedDatasources } from './support/dashboard.js';
import { PROMETHEUS_RETENTION, SHIPPED } from './support/stack.js';
import { findStackTools, type StackTools, stackVersions } from './support/stack-tools.js';

const run = promisify(execFile);

/** Runs a tool; resolves with its exit code and output, never rejects on a non-zero exit. */
async function tool(command: string, args: string[], env: NodeJS.ProcessEnv = cleanEnv(process.env)) {
  try {
    const { stdout, stderr } = await run(command, args, { cwd: REPO_ROOT, env, maxBuffer: 16 * 1024 * 1024, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(error) };
  }
}

const repoFile = (file: string) => join(REPO_ROOT, file);
const readYaml = async (file: string) => parse(await readFile(repoFile(file), 'utf8'));

/** The `${env:VAR:-default}` default of a configuration value. */
function envDefault(value: string): string {
  const m = /^\$\{env:\w+:-(.+)\}$/.exec(value);
  if (!m) throw new Error(`expected \${env:VAR:-default}, got ${value}`);
  return m[1] as string;
}

interface ComposeService {
  image: string;
  command?: string[];
  volumes?: string[];
  ports?: string[];
  profiles?: string[];
  environment?: Record<string, string>;
  /** As `docker-compose config` writes it: one key per service depended on. */
  depends_on?: Record<string, unknown>;
}

let tools: StackTools;

beforeAll(() => {
  tools = findStackTools();
});

describe('collector-config.yaml', () => {
  it('passes `otelcol validate` as docker-compose runs it (no variables set)', async () => {
    const result = await tool(tools.otelcol, ['validate', '--config', repoFile(SHIPPED.collectorConfig)]);
    expect(result.code, result.stderr).toBe(0);
  });

  it('is really validated: a copy naming a component the build lacks is rejected', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stagetrace-otelcol-'));
    try {
      const text = await readFile(repoFile(SHIPPED.collectorConfig), 'utf8');
      const broken = text.replace('exporters: [prometheus]', 'exporters: [prometheusremotewrite]');
      expect(broken).not.toBe(text);
      await writeFile(join(dir, 'config.yaml'), broken);
      const result = await tool(tools.otelcol, ['validate', '--config', join(dir, 'config.yaml')]);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('prometheusremotewrite');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps spans for Jaeger in a persistent queue on file_storage, retried for as long as the queue holds them', async () => {
    const config = await readYaml(SHIPPED.collectorConfig);
    const exporter = config.exporters['otlp_grpc/jaeger'];
    expect(exporter.sending_queue).toMatchObject({ enabled: true, storage: 'file_storage/queue' });
    expect(exporter.retry_on_failure).toMatchObject({ enabled: true, max_elapsed_time: 0 });
    expect(config.service.extensions).toContain('file_storage/queue');
  });

  it('uses exactly the components the collector is built with (deploy/otelcol/builder-manifest.yaml)', async () => {
    const config = await readYaml(SHIPPED.collectorConfig);
    const typeOf = (id: string) => id.split('/')[0] as string;
    const used: Record<string, Set<string>> = {
      receivers: new Set(),
      processors: new Set(),
      exporters: new Set(),
      extensions: new Set((config.service.extensions as string[]).map(typeOf)),
    };
    for (const pipeline of Object.values(config.service.pipelines) as Record<string, string[]>[]) {
      for (const kind of ['receivers', 'processors', 'exporters']) for (const id of pipeline[kind] ?? []) used[kind]?.add(typeOf(id));
    }
    // Everything configured is used in a pipeline, and the other way round.
    for (const kind of Object.keys(used)) expect(new Set(Object.keys(config[kind]).map(typeOf)), kind).toEqual(used[kind]);

    const components = parse((await tool(tools.otelcol, ['components'])).stdout) as Record<string, { name: string; module: string }[]>;
    for (const kind of Object.keys(used)) {
      expect(new Set(components[kind]?.map((c) => c.name)), `${kind} in the build`).toEqual(used[kind]);
    }
    expect(components.connectors ?? []).toEqual([]);
    // The build is the manifest's: one module per component, at the manifest's versions.
    const manifest = await readYaml('deploy/otelcol/builder-manifest.yaml');
    for (const kind of Object.keys(used)) {
      expect(new Set((manifest[kind] as { gomod: string }[]).map((c) => c.gomod)), kind).toEqual(
        new Set(components[kind]?.map((c) => c.module)),
      );
    }
    expect(manifest.dist.version).toBe(stackVersions().OTELCOL_VERSION);
  });
});

describe('deploy/otelcol/agent.yaml and gateway.yaml', () => {
  for (const file of [SHIPPED.agentConfig, SHIPPED.gatewayConfig]) {
    it(`${file} passes \`otelcol validate\` as docker-compose runs it, with components of our build only`, async () => {
      const result = await tool(tools.otelcol, ['validate', '--config', repoFile(file)]);
      expect(result.code, result.stderr).toBe(0);
      const config = await readYaml(file);
      const manifest = await readYaml('deploy/otelcol/builder-manifest.yaml');
      const components = parse((await tool(tools.otelcol, ['components'])).stdout) as Record<string, { name: string }[]>;
      for (const kind of ['receivers', 'processors', 'exporters', 'extensions']) {
        const built = new Set(components[kind]?.map((c) => c.name));
        for (const id of Object.keys(config[kind])) expect(built.has(id.split('/')[0] as string), `${file}: ${kind} ${id}`).toBe(true);
        expect(manifest[kind].length, kind).toBe(built.size);
      }
    });
  }

  it('the agent sends both signals to the gateway through a persistent queue; the gateway is the single collector behind agents', async () => {
    const agent = await readYaml(SHIPPED.agentConfig);
    for (const signal of ['traces', 'metrics']) {
      expect(agent.service.pipelines[signal]).toEqual({
        receivers: ['otlp'],
        processors: ['memory_limiter', 'batch'],
        exporters: ['otlp_grpc/gateway'],
      });
    }
    expect(agent.exporters['otlp_grpc/gateway'].sending_queue).toMatchObject({ enabled: true, storage: 'file_storage/queue' });
    expect(envDefault(agent.exporters['otlp_grpc/gateway'].endpoint)).toBe('otel-gateway:4317');
    const gateway = await readYaml(SHIPPED.gatewayConfig);
    const single = await readYaml(SHIPPED.collectorConfig);
    for (const key of ['extensions', 'receivers', 'processors', 'exporters', 'service']) expect(gateway[key], key).toEqual(single[key]);
  });
});

describe('deploy/jaeger/config.yaml and deploy/prometheus/prometheus.yml', () => {
  it('passes `jaeger validate`', async () => {
    const result = await tool(tools.jaeger, ['validate', '--config', repoFile(SHIPPED.jaegerConfig)]);
    expect(result.code, result.stderr).toBe(0);
  });

  it('keeps traces in Badger on disk (not ephemeral) for at least 13 months, the TTL set through the environment', async () => {
    const config = await readYaml(SHIPPED.jaegerConfig);
    const backends = config.extensions.jaeger_storage.backends;
    expect(Object.keys(backends)).toEqual([config.extensions.jaeger_query.storage.traces]);
    const badger = backends[config.exporters.jaeger_storage_exporter.trace_storage].badger;
    expect(badger.ephemeral).toBe(false);
    expect(badger.ttl.spans).toMatch(/^\$\{env:JAEGER_SPAN_TTL:-\d+h\}$/);
    expect(Number.parseInt(envDefault(badger.ttl.spans), 10)).toBeGreaterThanOrEqual(13 * 31 * 24);
  });

  it('passes `promtool check config`, keeping the exporter job and instance labels (honor_labels)', async () => {
    const result = await tool(tools.promtool, ['check', 'config', repoFile(SHIPPED.prometheusConfig)]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const config = await readYaml(SHIPPED.prometheusConfig);
    expect(config.scrape_configs).toHaveLength(1);
    expect(config.scrape_configs[0].honor_labels).toBe(true);
    expect(config.scrape_configs[0].file_sd_configs[0].files).toEqual([posix.basename(SHIPPED.prometheusTargets)]);
  });

  it("names the collector's Prometheus exporter as docker-compose runs it", async () => {
    const targets = await readYaml(SHIPPED.prometheusTargets);
    const collector = await readYaml(SHIPPED.collectorConfig);
    const gateway = await readYaml(SHIPPED.gatewayConfig);
    const exporterPort = envDefault(collector.exporters.prometheus.endpoint).split(':').at(-1);
    expect(envDefault(gateway.exporters.prometheus.endpoint).split(':').at(-1)).toBe(exporterPort);
    expect(targets).toEqual([{ targets: [`otel-collector:${exporterPort}`, `otel-gateway:${exporterPort}`] }]);
  });
});

describe('docker-compose.yml', () => {
  let services: Record<string, ComposeService>;

  beforeAll(async () => {
    const result = await tool(tools.dockerCompose, ['-f', repoFile('docker-compose.yml'), 'config']);
    expect(result.code, result.stderr).toBe(0);
    // `config` prints the file resolved: absolute host paths, ports spelled out.
    services = parse(result.stdout).services;
  });

  it('passes `docker-compose config -q`', async () => {
    const result = await tool(tools.dockerCompose, ['-f', repoFile('docker-compose.yml'), 'config', '-q']);
    expect(result.code, result.stderr).toBe(0);
    expect(Object.keys(services).sort()).toEqual([
      'grafana',
      'jaeger',
      'otel-agent-1',
      'otel-agent-2',
      'otel-collector',
      'otel-gateway',
      'prometheus',
      'victorialogs',
      'volume-owner',
    ]);
  });

  it('runs the agents and the gateway only in the `gateway` profile, the single collector without one', () => {
    for (const name of ['otel-agent-1', 'otel-agent-2', 'otel-gateway']) expect(services[name]?.profiles, name).toEqual(['gateway']);
    for (const name of ['otel-collector', 'jaeger', 'prometheus', 'grafana']) expect(services[name]?.profiles, name).toBeUndefined();
    expect(flag('otel-gateway', '--config')).toBe(mountOf('otel-gateway', SHIPPED.gatewayConfig));
    for (const agent of ['otel-agent-1', 'otel-agent-2']) {
      expect(flag(agent, '--config')).toBe(mountOf(agent, SHIPPED.agentConfig));
      expect(services[agent]?.environment?.COLLECTOR_GATEWAY_ENDPOINT).toBe('otel-gateway:4317');
    }
  });

  /** The named volume mounted at `target` in a service, or undefined. */
  function namedVolumeAt(service: string, target: string): string | undefined {
    for (const volume of services[service]?.volumes ?? []) {
      const [source, at] = volume.split(':');
      if (at === target && source !== undefined && !source.startsWith('/')) return source;
    }
    return undefined;
  }

  it("keeps Jaeger's Badger store, Prometheus's series and every collector queue on named volumes, 13 months by default", async () => {
    expect(namedVolumeAt('jaeger', services.jaeger?.environment?.JAEGER_BADGER_DIR as string)).toBe('jaeger-badger');
    expect(namedVolumeAt('prometheus', flag('prometheus', '--storage.tsdb.path') as string)).toBe('prometheus-data');
    for (const name of ['otel-collector', 'otel-agent-1', 'otel-agent-2', 'otel-gateway']) {
      expect(namedVolumeAt(name, '/var/lib/otelcol/queue'), name).toBeDefined();
    }
    const collector = await readYaml(SHIPPED.collectorConfig);
    expect(envDefault(collector.extensions['file_storage/queue'].directory)).toBe('/var/lib/otelcol/queue');
    // Resolved with no variables set: the defaults, which the end-to-end suite runs too.
    expect(flag('prometheus', '--storage.tsdb.retention.time')).toBe(PROMETHEUS_RETENTION);
    expect(Number.parseInt(PROMETHEUS_RETENTION, 10)).toBeGreaterThanOrEqual(13 * 31);
    expect(services.jaeger?.environment?.JAEGER_SPAN_TTL).toBe(
      envDefault((await readYaml(SHIPPED.jaegerConfig)).extensions.jaeger_storage.backends.badger_store.badger.ttl.spans),
    );
  });

  /** The container path a repository file is mounted at in a service. */
  function mountOf(service: string, file: string): string | undefined {
    for (const volume of services[service]?.volumes ?? []) {
      const [source, target] = volume.split(':');
      if (source === repoFile(file)) return target;
    }
    return undefined;
  }

  /** The value of `--flag=value` or `--flag value` in a service's command. */
  function flag(service: string, name: string): string | undefined {
    const command = services[service]?.command ?? [];
    for (let i = 0; i < command.length; i++) {
      if (command[i] === name) return command[i + 1];
      if (command[i]?.startsWith(`${name}=`)) return command[i]?.slice(name.length + 1);
    }
    return undefined;
  }

  it('runs each service with the file the end-to-end suite ran', () => {
    expect(mountOf('otel-collector', SHIPPED.collectorConfig)).toBeDefined();
    expect(flag('otel-collector', '--config')).toBe(mountOf('otel-collector', SHIPPED.collectorConfig));
    expect(mountOf('jaeger', SHIPPED.jaegerConfig)).toBeDefined();
    expect(flag('jaeger', '--config')).toBe(mountOf('jaeger', SHIPPED.jaegerConfig));
    const promConfig = mountOf('prometheus', SHIPPED.prometheusConfig);
    expect(promConfig).toBeDefined();
    expect(flag('prometheus', '--config.file')).toBe(promConfig);
    // file_sd resolves the targets file relative to the configuration file.
    expect(mountOf('prometheus', SHIPPED.prometheusTargets)).toBe(posix.join(posix.dirname(promConfig as string), 'collector-targets.yml'));
  });

  it('provisions Grafana from deploy/grafana, the dashboard where the provider looks', async () => {
    expect(mountOf('grafana', 'deploy/grafana/provisioning')).toBe('/etc/grafana/provisioning');
    const provider = await readYaml('deploy/grafana/provisioning/dashboards/dashboards.yaml');
    expect(mountOf('grafana', dirname(DASHBOARD_FILE))).toBe(provider.providers[0].options.path);
  });

  it('points Grafana at the compose services: Prometheus, Jaeger and VictoriaLogs on their container ports, with the plugin VictoriaLogs needs', async () => {
    const jaeger = await readYaml(SHIPPED.jaegerConfig);
    const queryPort = envDefault(jaeger.extensions.jaeger_query.http.endpoint).split(':').at(-1);
    const byType = Object.fromEntries(provisionedDatasources().map((d) => [d.type, d.url]));
    expect(byType).toEqual({
      prometheus: 'http://prometheus:9090',
      jaeger: `http://jaeger:${queryPort}`,
      'victoriametrics-logs-datasource': 'http://victorialogs:9428',
    });
    expect(services.jaeger?.ports).toContain(`127.0.0.1:${queryPort}:${queryPort}/tcp`);
    expect(services.victorialogs?.ports).toContain('127.0.0.1:9428:9428/tcp');
    // A plugin data source works only once its plugin is installed: before Grafana serves, not in the background.
    const environment = services.grafana?.environment as Record<string, string>;
    expect(environment.GF_PLUGINS_PREINSTALL_SYNC?.split(',')).toContain('victoriametrics-logs-datasource');
    expect(Object.keys(services.grafana?.depends_on ?? {})).toEqual(expect.arrayContaining(['prometheus', 'jaeger', 'victorialogs']));
  });

  it("publishes the collector's OTLP ports and health check as its configuration sets them, on 127.0.0.1 only", async () => {
    const collector = await readYaml(SHIPPED.collectorConfig);
    const ports = [
      collector.receivers.otlp.protocols.grpc.endpoint,
      collector.receivers.otlp.protocols.http.endpoint,
      collector.extensions.health_check.endpoint,
    ].map((endpoint: string) => envDefault(endpoint).split(':').at(-1));
    expect(ports).toEqual(['4317', '4318', '13133']);
    for (const port of ports) expect(services['otel-collector']?.ports).toContain(`127.0.0.1:${port}:${port}/tcp`);
    for (const [name, service] of Object.entries(services)) {
      for (const port of service.ports ?? []) expect(port, `${name} publishes ${port}`).toMatch(/^127\.0\.0\.1:/);
    }
  });

  it("sends the collector's logs pipeline to the victorialogs service, on the port it publishes", async () => {
    const collector = await readYaml(SHIPPED.collectorConfig);
    const url = new URL(envDefault(collector.exporters['otlp_http/victorialogs'].logs_endpoint));
    expect(url.hostname).toBe('victorialogs');
    expect(url.pathname).toBe('/insert/opentelemetry/v1/logs');
    expect(services.victorialogs?.ports).toContain(`127.0.0.1:${url.port}:${url.port}/tcp`);
    expect(collector.service.pipelines.logs.exporters).toEqual(['otlp_http/victorialogs']);
  });

  it('pins each image to the version the end-to-end suite runs', async () => {
    const versions = stackVersions();
    expect(services['otel-collector']?.image).toBe(`otel/opentelemetry-collector-contrib:${versions.OTELCOL_VERSION}`);
    expect(services.jaeger?.image).toBe(`jaegertracing/jaeger:${versions.JAEGER_VERSION}`);
    expect(services.victorialogs?.image).toBe(`victoriametrics/victoria-logs:v${versions.VICTORIALOGS_VERSION}`);
    const prometheus = await tool(tools.prometheus, ['--version']);
    const version = /prometheus, version (\d+\.\d+\.\d+)/.exec(prometheus.stdout + prometheus.stderr)?.[1];
    expect(services.prometheus?.image).toBe(`prom/prometheus:v${version}`);
    // Grafana does not run here; it is pinned all the same, never :latest.
    expect(services.grafana?.image).toMatch(/^grafana\/grafana:\d+\.\d+\.\d+$/);
  });
});
