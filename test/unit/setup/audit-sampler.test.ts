import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT_CONTEXT, SpanKind } from '@opentelemetry/api';
import { SamplingDecision } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditSampler, shutdown, start, traceMonth, traceStage } from '../../../src/index.js';
import { samplerFromEnv } from '../../../src/setup/env-sampler.js';

describe('AuditSampler', () => {
  const saved = { ...process.env };
  afterEach(async () => {
    await shutdown();
    process.env = { ...saved };
  });

  it('records what the wrapped sampler drops, without sampling it', () => {
    const sampler = new AuditSampler(samplerFromEnv({ OTEL_TRACES_SAMPLER: 'always_off' }));
    const result = sampler.shouldSample(ROOT_CONTEXT, '0af7651916cd43dd8448eb211c80319c', 'month', SpanKind.INTERNAL, {}, []);
    expect(result.decision).toBe(SamplingDecision.RECORD);
    expect(new AuditSampler().shouldSample(ROOT_CONTEXT, '0af7651916cd43dd8448eb211c80319c', 'm', SpanKind.INTERNAL, {}, []).decision).toBe(
      SamplingDecision.RECORD_AND_SAMPLED,
    );
  });

  it('keeps the audit files complete when OTEL_TRACES_SAMPLER drops every trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stagetrace-sampler-'));
    try {
      process.env.OTEL_TRACES_SAMPLER = 'always_off';
      await start({ logDir: dir, console: false, hostMetrics: false, handleExit: false });
      traceMonth('2024-01', () => traceStage('download', () => 1));
      await shutdown();
      const ends = readFileSync(join(dir, 'structured_processing.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line))
        .filter((r) => r.stage_event === 'end');
      expect(ends.map((r) => r.stage)).toEqual(['download', 'month_processing']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects an unknown sampler or a bad ratio with the variable named', () => {
    expect(() => samplerFromEnv({ OTEL_TRACES_SAMPLER: 'sometimes' })).toThrow(/OTEL_TRACES_SAMPLER must be one of/);
    expect(() => samplerFromEnv({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '2' })).toThrow(
      /OTEL_TRACES_SAMPLER_ARG must be a ratio from 0 to 1; got "2"/,
    );
  });
});
