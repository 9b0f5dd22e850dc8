import type { ExportResult } from '@opentelemetry/core';
import type { IMetricReader } from '@opentelemetry/sdk-metrics';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { DeferredSpanExporter } from '../../../src/export/deferred-span-exporter.js';
import { DeferredInstrumentation } from '../../../src/metrics/deferred-instrumentation.js';
import { DeferredMetricReader } from '../../../src/metrics/deferred-metric-reader.js';
import { whenLoaded } from '../../../src/model/deferred.js';

const missing = () => Promise.reject(new Error("Cannot find package '@opentelemetry/exporter-trace-otlp-proto'"));

describe('components whose packages load on first need', () => {
  it('a span export before the exporter has loaded waits for it and reaches it', async () => {
    const exported: number[] = [];
    const real: SpanExporter = {
      export: (spans, done) => {
        exported.push(spans.length);
        done({ code: 0 });
      },
      shutdown: async () => undefined,
    };
    const exporter = new DeferredSpanExporter(async () => real);
    const result = await new Promise<ExportResult>((resolve) => exporter.export([], resolve));
    expect(result.code).toBe(0);
    expect(exported).toEqual([0]);
  });

  it('a package that cannot be loaded fails the export with its error, rejects whenLoaded, and crashes nothing', async () => {
    const exporter = new DeferredSpanExporter(missing);
    const result = await new Promise<ExportResult>((resolve) => exporter.export([], resolve));
    expect(result.code).toBe(1);
    expect(result.error?.message).toContain('exporter-trace-otlp-proto');
    await expect(whenLoaded([exporter, undefined])).rejects.toThrow('exporter-trace-otlp-proto');
    await expect(exporter.shutdown()).resolves.toBeUndefined();
    await expect(new DeferredMetricReader(missing).forceFlush()).resolves.toBeUndefined();
  });

  it('a metric reader answers the SDK defaults until loaded, then hands the producer over and delegates', async () => {
    const calls: string[] = [];
    const real = {
      setMetricProducer: () => calls.push('producer'),
      selectAggregation: () => ({ type: 5 }),
      selectAggregationTemporality: () => 0,
      selectCardinalityLimit: () => 7,
      collect: async () => ({ resourceMetrics: { resource: {}, scopeMetrics: [] }, errors: [] }),
      shutdown: async () => undefined,
      forceFlush: async () => undefined,
    } as unknown as IMetricReader;
    const reader = new DeferredMetricReader(async () => real);
    reader.setMetricProducer({ collect: async () => ({ resourceMetrics: { resource: {}, scopeMetrics: [] }, errors: [] }) } as never);
    expect(reader.selectAggregation(0 as never)).toEqual({ type: 0 });
    expect(reader.selectCardinalityLimit(0 as never)).toBe(2000);
    await whenLoaded([reader]);
    expect(calls).toEqual(['producer']);
    expect(reader.selectAggregationTemporality(0 as never)).toBe(0);
    expect(reader.selectCardinalityLimit(0 as never)).toBe(7);
  });

  it('an instrumentation gets the meter provider given before it loaded, and stays disabled if disabled meanwhile', async () => {
    const calls: string[] = [];
    const real = {
      instrumentationName: 'x',
      instrumentationVersion: '1',
      setMeterProvider: () => calls.push('meter'),
      setTracerProvider: () => calls.push('tracer'),
      setConfig: () => undefined,
      getConfig: () => ({ enabled: true }),
      enable: () => calls.push('enable'),
      disable: () => calls.push('disable'),
    };
    const deferred = new DeferredInstrumentation('x', '1', async () => real);
    deferred.setMeterProvider({} as never);
    deferred.disable();
    expect(deferred.getConfig().enabled).toBe(false);
    await whenLoaded([deferred]);
    expect(calls).toEqual(['meter', 'disable']);
  });
});
