/**
 * An @opentelemetry/api of the other line beside the SDK (what npm's
 * --legacy-peer-deps can leave behind): createStagetrace() and start()
 * refuse it with a message naming both versions and the install line.
 * The api module is replaced by one of the other line: api 1.10 is the one
 * with `logs`, so it is added on the 2.x line and removed on the 3.x line.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

vi.mock('@opentelemetry/api', async (importOriginal) => {
  const original = await importOriginal<Record<string, unknown>>();
  return { ...original, logs: original.logs === undefined ? { getLogger: () => ({ emit: () => undefined }) } : undefined };
});

const { createStagetrace, shutdown, start } = await import('../../../src/index.js');
const { SDK_INFO } = await import('@opentelemetry/core');
const { SDK_LINES } = await import('../../../src/setup/sdk-line.js');

const sdkVersion = String(SDK_INFO['telemetry.sdk.version']);
const major = Number(sdkVersion.split('.')[0]) as 2 | 3;

afterEach(async () => {
  await shutdown();
});

describe(`an @opentelemetry/api of the other line beside OpenTelemetry JS ${sdkVersion}`, () => {
  const expected =
    major === 3
      ? `OpenTelemetry JS ${sdkVersion} needs @opentelemetry/api 1.10, but the @opentelemetry/api stagetrace loads is 1.9 or older`
      : `OpenTelemetry JS ${sdkVersion} takes @opentelemetry/api up to 1.9, but the @opentelemetry/api stagetrace loads is 1.10 or newer`;

  it('makes createStagetrace() throw, naming the versions and the install line', () => {
    expect(() => createStagetrace({ logDir: false, console: false })).toThrow(expected);
    expect(() => createStagetrace({ logDir: false, console: false })).toThrow(`npm install --save-exact ${SDK_LINES[major].install}`);
  });

  it('makes start() reject the same way, before anything is started', async () => {
    await expect(start({ logDir: false, console: false, hostMetrics: false })).rejects.toThrow(expected);
    // Nothing was left half-started: a second start() is refused for the same reason, not as "already started".
    await expect(start({ logDir: false, console: false, hostMetrics: false })).rejects.toThrow(expected);
  });
});
