import type { Attributes } from '@opentelemetry/api';
import type { CarrierProblem, RemoteParent } from '../model/carrier.js';
import type { ConsoleLevel } from '../model/console-level.js';
import type { LogLevel } from '../model/levels.js';
import type { Durability } from './option-types.js';

// The option types are generated from the option table, with their TSDoc.
export type {
  AlertOptions,
  Durability,
  MemoryOptions,
  OtlpOptions,
  PrometheusOptions,
  RedactOptions,
  StagetraceOptions,
} from './option-types.js';

/** The options after defaults and environment variables, validated. */
export interface ResolvedConfig {
  serviceName: string;
  sessionId: string;
  /** The run id, and the environment carrier (`TRACEPARENT`, `TRACESTATE`, `BAGGAGE`) this process was started with. */
  run: ResolvedRun;
  logDir: string | undefined;
  requireLogDir: boolean;
  console: boolean;
  logLevel: LogLevel;
  consoleLevel: ConsoleLevel | undefined;
  colors: boolean;
  progress: boolean;
  totalMonths: number | undefined;
  stageThresholds: ReadonlyMap<string, number>;
  defaultThresholdS: number;
  durability: Durability;
  maxFileBytes: number;
  maxFiles: number;
  redactKeys: string[];
  redactQueryParams: string[];
  otlp: ResolvedOtlp | undefined;
  metricExportIntervalMillis: number;
  memory: { intervalMs: number; warningMb: number | undefined; criticalMb: number | undefined };
  hostMetrics: string[] | false;
  logs: boolean;
  prometheus: { port: number; host: string } | undefined;
  alerts: ResolvedAlerts | undefined;
  resourceAttributes: Attributes;
  shutdownTimeoutMillis: number;
  handleExit: boolean;
  sdkDisabled: boolean;
}

export interface ResolvedRun {
  runId: string;
  /** The span of the process that started this one: stages outside a month become its children, months link to it. */
  envParent: RemoteParent | undefined;
  /** A malformed environment carrier, ignored: said once when the session begins. */
  envProblem: CarrierProblem | undefined;
}

export interface ResolvedAlerts {
  webhookUrl: string;
  minIntervalMs: number;
  timeoutMs: number;
}

export interface ResolvedOtlp {
  tracesUrl: string;
  metricsUrl: string;
  logsUrl: string;
  headers: Record<string, string> | undefined;
  protocol: 'http/json' | 'http/protobuf';
  timeoutMillis: number | undefined;
  compression: 'gzip' | 'none' | undefined;
  /** Most spans waiting to be sent. */
  maxQueueSpans: number;
  /** Most bytes of spans waiting to be sent. */
  maxQueueBytes: number;
}
