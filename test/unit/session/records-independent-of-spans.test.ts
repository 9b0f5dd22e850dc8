/**
 * The audit files are written from the session's own records, never read
 * back from spans: whatever a sampler decides, however many context keys a
 * stage has, and even when no SDK was started, every start, end and
 * performance record is there and complete.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  AlwaysOffSampler,
  InMemorySpanExporter,
  type Sampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { createStagetrace, getSessionSummary, shutdown, traceMonth, traceStage } from '../../../src/index.js';
import { captureStderr } from '../../helpers/capture-stderr.js';
import { resetGlobals } from '../../helpers/in-memory-sdk.js';

const MONTHS = ['2024-01', '2024-02', '2024-03', '2024-04', '2024-05', '2024-06', '2024-07', '2024-08', '2024-09', '2024-10'];
const STAGES = ['download', 'process', 'validate'];

let dir: string;
let sdk: NodeSDK | undefined;

afterEach(async () => {
  await shutdown();
  await sdk?.shutdown();
  sdk = undefined;
  resetGlobals();
  rmSync(dir, { recursive: true, force: true });
});

function jsonl(file: string): Record<string, unknown>[] {
  return (
    readFileSync(join(dir, file), 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      // The session's start and end markers belong to no trace.
      .filter((r) => !(r.record_type === 'message' && typeof r.context === 'object' && r.context !== null && 'session.event' in r.context))
  );
}

function startWithSampler(sampler: Sampler | undefined, exporter = new InMemorySpanExporter()): InMemorySpanExporter {
  dir = mkdtempSync(join(tmpdir(), 'stagetrace-records-'));
  const st = createStagetrace({ logDir: dir, console: false, hostMetrics: false, durability: 'sync' });
  sdk = new NodeSDK({
    sampler,
    spanProcessors: [...st.spanProcessors, new SimpleSpanProcessor({ exporter })],
    metricReaders: [],
    instrumentations: [],
    autoDetectResources: false,
  });
  sdk.start();
  return exporter;
}

function runPipeline(context: Record<string, unknown> = {}): void {
  for (const month of MONTHS) {
    traceMonth(month, () => {
      for (const stage of STAGES) traceStage(stage, () => undefined, { context });
    });
  }
}

function expectCompleteFiles(): void {
  const structured = jsonl('structured_processing.jsonl');
  const ends = structured.filter((r) => r.stage_event === 'end');
  const starts = structured.filter((r) => r.stage_event === 'start');
  expect(starts).toHaveLength(MONTHS.length * (STAGES.length + 1));
  expect(ends).toHaveLength(MONTHS.length * (STAGES.length + 1));
  for (const end of ends) {
    expect(end.outcome).toBe('success');
    expect(typeof end.stage_duration).toBe('number');
    expect(end.memory_mb as number).toBeGreaterThan(0);
  }
  const performance = jsonl('performance_metrics.jsonl');
  expect(performance).toHaveLength(MONTHS.length * (STAGES.length + 1));
  for (const record of performance) expect(record.memory_mb as number).toBeGreaterThan(0);
}

describe('audit records do not depend on spans', () => {
  it('a user SDK whose AlwaysOffSampler drops every span (not wrapped): files complete, trace ids real, nothing exported', () => {
    const exporter = startWithSampler(new AlwaysOffSampler());
    runPipeline();
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    expectCompleteFiles();
    const ids = jsonl('structured_processing.jsonl').map((r) => r.trace_id as string);
    for (const id of ids) expect(id).toMatch(/^(?!0{32})[0-9a-f]{32}$/);
  });

  it('a TraceIdRatioBasedSampler(0.1): every month in the files, only the sampled ones exported', () => {
    const exporter = startWithSampler(new TraceIdRatioBasedSampler(0.1));
    runPipeline();
    expectCompleteFiles();
    expect(exporter.getFinishedSpans().length).toBeLessThan(MONTHS.length * (STAGES.length + 1));
    expect(getSessionSummary().totals).toMatchObject({ stage_executions: MONTHS.length * STAGES.length, months: MONTHS.length });
  });

  it('a stage with 1,000 context keys: its end and performance records are complete, beyond the span attribute limit', () => {
    const exporter = startWithSampler(undefined);
    const context = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`key_${i}`, i]));
    traceMonth('2024-01', () => traceStage('wide', () => undefined, { context }));
    const end = jsonl('structured_processing.jsonl').find((r) => r.stage === 'wide' && r.stage_event === 'end');
    // The documented cap: the first 100 context keys, in order.
    expect(Object.keys(end?.context as object)).toEqual(Array.from({ length: 100 }, (_, i) => `key_${i}`));
    const performance = jsonl('performance_metrics.jsonl').find((r) => r.stage === 'wide');
    expect(performance).toMatchObject({ outcome: 'success', success: true, slow: false });
    expect(performance?.memory_mb as number).toBeGreaterThan(0);
    // The span keeps room under the SDK's limit of 128 for its own end attributes.
    const span = exporter.getFinishedSpans().find((s) => s.name === 'wide');
    expect(span?.attributes).toMatchObject({ 'stagetrace.outcome': 'success', 'stagetrace.stage.slow': false });
    expect(span?.attributes['stagetrace.duration_us']).toEqual(expect.any(Number));
    expect(span?.attributes['stagetrace.memory.rss_peak_bytes']).toEqual(expect.any(Number));
  });

  it('createStagetrace() without a started SDK: complete records, and one warning that nothing is exported', () => {
    dir = mkdtempSync(join(tmpdir(), 'stagetrace-records-'));
    const stderr = captureStderr();
    try {
      createStagetrace({ logDir: dir, console: false, hostMetrics: false, durability: 'sync' });
      runPipeline();
    } finally {
      stderr.restore();
    }
    expectCompleteFiles();
    const warnings = stderr.lines().filter((l) => l.includes('no OpenTelemetry SDK is started'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/\[WARNING\] stagetrace: no OpenTelemetry SDK is started.*audit files are still written/);
  });
});
