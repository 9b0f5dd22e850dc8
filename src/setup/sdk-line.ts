import * as otelApi from '@opentelemetry/api';
import { coreVersion } from './core-version.js';

/**
 * The OpenTelemetry JS lines stagetrace supports. Both take the same code:
 * stagetrace uses `@opentelemetry/sdk-trace` (which 2.12 ships next to the
 * `sdk-trace-base` that 3.x removes), options objects for span processors,
 * and the `spanProcessors`/`metricReaders` lists of `NodeSDK`. What differs
 * is which `@opentelemetry/api` and Node.js each line runs with, and that is
 * checked here, in one place.
 */
export const SDK_LINES = {
  2: { node: '20.6', install: '@opentelemetry/api@1.9.1 @opentelemetry/sdk-node@0.223.0' },
  3: { node: '22.15', install: '@opentelemetry/api@1.10.0 @opentelemetry/sdk-node@0.301.0' },
} as const;

export type SdkMajor = keyof typeof SDK_LINES;

/** The line of the SDK packages stagetrace loads, and whether the api beside them fits it. */
export interface SdkLine {
  readonly major: SdkMajor;
  /** The version of `@opentelemetry/core` stagetrace loads: the SDK's own version. */
  readonly sdkVersion: string;
}

/** The global registry every copy of @opentelemetry/api 1.x shares (the api's own key). */
const API_REGISTRY = Symbol.for('opentelemetry.js.api.1');

interface ApiRegistry {
  version?: string;
  trace?: unknown;
  metrics?: unknown;
}

const installHint = (major: SdkMajor) =>
  `npm install --save-exact ${SDK_LINES[major].install} (Node.js >= ${SDK_LINES[major].node}), then \`npm ls @opentelemetry/api\` shows one copy`;

/**
 * api 1.10 took in the logs API (`logs`, `SeverityNumber`), which 1.9 kept
 * in `@opentelemetry/api-logs`: the export tells the two apart without
 * reading files, the same way from the ES module and the CommonJS build.
 */
function apiIsAtLeast110(): boolean {
  return (otelApi as Record<string, unknown>).logs !== undefined;
}

/**
 * The line of the SDK that stagetrace loads; throws a clear error when
 * `@opentelemetry/api` beside it belongs to the other line (npm with
 * `--legacy-peer-deps`, a hand-edited lockfile), where spans would be lost
 * or the SDK would fail later and less clearly.
 */
export function checkSdkLine(): SdkLine {
  const found = coreVersion();
  // A bundled application may hide core's package.json: the api's shape still says the line.
  if (found === undefined) return { major: apiIsAtLeast110() ? 3 : 2, sdkVersion: 'unknown' };
  const sdkVersion = found;
  const major = Number(sdkVersion.split('.')[0]);
  if (major !== 2 && major !== 3) {
    throw new Error(
      `stagetrace: works with OpenTelemetry JS 2.x and 3.x, but @opentelemetry/core is ${sdkVersion}. Install one of the supported lines: ${installHint(3)}; or ${installHint(2)}.`,
    );
  }
  const apiIs110 = apiIsAtLeast110();
  if (major === 3 && !apiIs110) {
    throw new Error(
      `stagetrace: OpenTelemetry JS ${sdkVersion} needs @opentelemetry/api 1.10, but the @opentelemetry/api stagetrace loads is 1.9 or older. Install the api of your SDK's line: ${installHint(3)}.`,
    );
  }
  if (major === 2 && apiIs110) {
    throw new Error(
      `stagetrace: OpenTelemetry JS ${sdkVersion} takes @opentelemetry/api up to 1.9, but the @opentelemetry/api stagetrace loads is 1.10 or newer (the 3.x line's). Install the api of your SDK's line: ${installHint(2)}; or move to OpenTelemetry JS 3.x: ${installHint(3)}.`,
    );
  }
  return { major, sdkVersion };
}

/**
 * When the global providers were registered through another copy of
 * `@opentelemetry/api` that this copy refuses (an older one: the api only
 * reads registrations of its own minor version or newer), stagetrace's spans
 * and metrics would silently go nowhere. Returns what to tell the user, or
 * undefined when stagetrace sees the registered providers (or none is
 * registered yet).
 */
export function refusedGlobalProviders(): string | undefined {
  const registry = (globalThis as Record<symbol, ApiRegistry | undefined>)[API_REGISTRY];
  if (registry === undefined) return undefined;
  const refused =
    (registry.trace !== undefined && otelApi.trace.getTracerProvider() !== registry.trace) ||
    (registry.metrics !== undefined && otelApi.metrics.getMeterProvider() !== registry.metrics);
  if (!refused) return undefined;
  // The registering api tells the user's line: 1.10 belongs to 3.x, older ones to 2.x.
  const major: SdkMajor = Number(registry.version?.split('.')[1]) >= 10 ? 3 : 2;
  return `stagetrace: the global OpenTelemetry providers were registered through @opentelemetry/api ${registry.version ?? '(unknown version)'}, which the newer @opentelemetry/api that stagetrace loads does not accept, so stagetrace's spans and metrics would not reach your SDK. The application must share one @opentelemetry/api: \`npm ls @opentelemetry/api\` lists the copies; ${installHint(major)}.`;
}

/**
 * Checked by `createStagetrace()` and `start()` before anything is built:
 * the SDK line against the api, and providers already registered through an
 * api copy stagetrace cannot use.
 */
export function checkOpenTelemetry(): SdkLine {
  const line = checkSdkLine();
  const refused = refusedGlobalProviders();
  if (refused !== undefined) throw new Error(refused);
  return line;
}
