/**
 * The span forward sends each batch inside a context where tracing is
 * suppressed, so the exporter's own HTTP request never becomes a span of
 * the pipeline. stagetrace sets that mark without loading core: the SDK
 * must still read it as core's own.
 */
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { suppressTracing } from '../../../src/export/suppress-tracing.js';

describe('suppressTracing', () => {
  it("sets the mark @opentelemetry/core's isTracingSuppressed() reads", () => {
    expect(isTracingSuppressed(ROOT_CONTEXT)).toBe(false);
    expect(isTracingSuppressed(suppressTracing(ROOT_CONTEXT))).toBe(true);
  });

  it('makes the SDK record no span inside it', () => {
    const tracer = new TracerProvider().getTracer('t');
    const request = tracer.startSpan('exporter request', {}, suppressTracing(ROOT_CONTEXT));
    expect(request.isRecording()).toBe(false);
    expect(tracer.startSpan('stage', {}, ROOT_CONTEXT).isRecording()).toBe(true);
  });
});
