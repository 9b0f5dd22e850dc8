import * as otelApi from '@opentelemetry/api';
import type { LogEmitter } from '../sinks/log-record-sink.js';

/** The part of the global Logs API stagetrace uses. */
export interface LogsApi {
  getLoggerProvider(): { getLogger(name: string, version?: string): LogEmitter };
  disable(): void;
}

/**
 * A logger of whichever LoggerProvider is global when a record is emitted.
 * Not the api's own proxy logger: that one is bound to one copy of the api
 * package, and an SDK loaded as CommonJS registers through another copy than
 * an ES module import of the api reaches, so the proxy would never learn of
 * the provider. The registry behind both copies is one global.
 */
export class GlobalLogger implements LogEmitter {
  readonly #api: LogsApi;
  readonly #name: string;
  readonly #version: string;
  #provider: unknown;
  #logger: LogEmitter | undefined;

  constructor(api: LogsApi, name: string, version: string) {
    this.#api = api;
    this.#name = name;
    this.#version = version;
  }

  emit(record: Parameters<LogEmitter['emit']>[0]): void {
    const provider = this.#api.getLoggerProvider();
    if (provider !== this.#provider || this.#logger === undefined) {
      this.#provider = provider;
      this.#logger = provider.getLogger(this.#name, this.#version);
    }
    this.#logger.emit(record);
  }
}

/** Where each line's api keeps the global LoggerProvider: api 1.10's registry (key `logs`), api-logs' own key. */
const API_REGISTRY = Symbol.for('opentelemetry.js.api.1');
const API_LOGS_KEY = Symbol.for('io.opentelemetry.js.api.logs');

/**
 * Whether an SDK has registered a global LoggerProvider. Before that the api
 * hands out no-op loggers, so records wait instead (a user's NodeSDK
 * usually starts after createStagetrace(), and the session's first record
 * comes before it).
 */
export function loggerProviderRegistered(): boolean {
  const global = globalThis as Record<symbol, { logs?: unknown } | undefined>;
  return global[API_LOGS_KEY] !== undefined || global[API_REGISTRY]?.logs !== undefined;
}

/** The 3.x line's Logs API: `logs` of `@opentelemetry/api` 1.10; undefined on the 2.x line. */
export function logsApiNow(): LogsApi | undefined {
  return (otelApi as unknown as { logs?: LogsApi }).logs;
}

/** The 2.x line's Logs API package: a dependency of its sdk-logs and sdk-node; the 3.x line folded it into the api. */
const API_LOGS_2X = '@opentelemetry/api-logs';

/**
 * The global Logs API of the installed line, where a NodeSDK registers its
 * LoggerProvider: at once on the 3.x line; on the 2.x line its package loads
 * now, not when stagetrace is imported. Undefined when neither is installed.
 */
export async function loadLogsApi(): Promise<LogsApi | undefined> {
  const own = logsApiNow();
  if (own !== undefined) return own;
  try {
    // A name TypeScript does not resolve: the 3.x line has no such package.
    const apiLogs = (await import(API_LOGS_2X)) as { logs?: LogsApi };
    return apiLogs.logs;
  } catch {
    return undefined;
  }
}
