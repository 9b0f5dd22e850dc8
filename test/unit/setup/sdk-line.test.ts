/**
 * The OpenTelemetry line check: stagetrace names the SDK line it runs on,
 * and refuses, with a message that says what to install, global providers
 * registered through an @opentelemetry/api copy it cannot read (its spans
 * would otherwise vanish without a word).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { trace } from '@opentelemetry/api';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { createStagetrace, shutdown, start, traceMonth, traceStage } from '../../../src/index.js';
import { checkSdkLine, refusedGlobalProviders, SDK_LINES } from '../../../src/setup/sdk-line.js';
import { captureStderr } from '../../helpers/capture-stderr.js';
import { resetGlobals } from '../../helpers/in-memory-sdk.js';
import { REPO_ROOT } from '../../helpers/run-node.js';

const REGISTRY = Symbol.for('opentelemetry.js.api.1');
const globals = globalThis as Record<symbol, unknown>;

function installedVersion(pkg: string): string {
  return (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
}

/** What an older @opentelemetry/api copy leaves behind after registering a tracer provider. */
function registerThroughOlderApi(): void {
  globals[REGISTRY] = { version: '1.3.0', trace: { getTracer: () => ({}) } };
}

afterEach(async () => {
  await shutdown();
  resetGlobals();
  delete globals[REGISTRY];
});

describe('checkSdkLine', () => {
  it('names the line of the SDK installed beside stagetrace', () => {
    const core = installedVersion('@opentelemetry/core');
    const line = checkSdkLine();
    expect(line.sdkVersion).toBe(core);
    expect(String(line.major)).toBe(core.split('.')[0]);
  });

  it('knows an install line for each supported line, matching the api the installed SDK asks for', () => {
    const api = installedVersion('@opentelemetry/api');
    const { major } = checkSdkLine();
    expect(SDK_LINES[major].install).toContain(`@opentelemetry/api@${api}`);
    expect(SDK_LINES[major].install).toContain(`@opentelemetry/sdk-node@${installedVersion('@opentelemetry/sdk-node')}`);
  });
});

describe('providers registered through another @opentelemetry/api copy', () => {
  it('are fine when stagetrace sees them (one shared copy)', () => {
    expect(refusedGlobalProviders()).toBeUndefined();
    trace.setGlobalTracerProvider(new TracerProvider());
    expect(refusedGlobalProviders()).toBeUndefined();
  });

  it('make createStagetrace() and start() throw when stagetrace cannot read them, saying what to run', async () => {
    registerThroughOlderApi();
    const message = refusedGlobalProviders();
    expect(message).toMatch(/registered through @opentelemetry\/api 1\.3\.0/);
    expect(message).toMatch(/npm ls @opentelemetry\/api/);
    expect(message).toContain(`npm install --save-exact ${SDK_LINES[2].install}`);
    expect(() => createStagetrace({ logDir: false, console: false })).toThrow(message as string);
    await expect(start({ logDir: false, console: false, hostMetrics: false })).rejects.toThrow(message as string);
  });

  it('registered after createStagetrace() are reported once, when the first span needs them', async () => {
    createStagetrace({ logDir: false, console: false, hostMetrics: false });
    registerThroughOlderApi();
    const stderr = captureStderr();
    try {
      await traceMonth('2024-01', () => traceStage('download', () => 1));
      await traceMonth('2024-02', () => traceStage('download', () => 1));
    } finally {
      stderr.restore();
    }
    const said = stderr.lines().filter((line) => line.includes('@opentelemetry/api 1.3.0'));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/stagetrace's spans and metrics would not reach your SDK/);
  });
});
