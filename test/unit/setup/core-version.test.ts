/**
 * The SDK version check of createStagetrace() reads the version of the
 * @opentelemetry/core that stagetrace would load from its package.json,
 * without loading it; it must be the version core itself reports.
 */
import { SDK_INFO } from '@opentelemetry/core';
import { describe, expect, it } from 'vitest';
import { coreVersion } from '../../../src/setup/core-version.js';

describe('coreVersion', () => {
  it('is the version @opentelemetry/core reports in SDK_INFO', () => {
    expect(coreVersion()).toBe(SDK_INFO['telemetry.sdk.version']);
  });

  it('is found whatever Error.prepareStackTrace and Error.stackTraceLimit the application set', () => {
    const { prepareStackTrace, stackTraceLimit } = Error;
    Error.prepareStackTrace = () => 'replaced';
    Error.stackTraceLimit = 0;
    try {
      expect(coreVersion()).toBe(SDK_INFO['telemetry.sdk.version']);
      expect(new Error('x').stack).toBe('replaced');
    } finally {
      Error.prepareStackTrace = prepareStackTrace;
      Error.stackTraceLimit = stackTraceLimit;
    }
  });
});
