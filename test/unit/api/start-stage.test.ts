import { SpanStatusCode, trace } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { attributes as A, getSessionSummary, startStage, traceMonth, traceStage } from '../../../src/index.js';
import { captureStderr, type StderrCapture } from '../../helpers/capture-stderr.js';
import { type InMemorySession, startInMemory } from '../../helpers/in-memory-sdk.js';
import { sleep } from '../../helpers/sleep.js';

let session: InMemorySession;
let stderr: StderrCapture;

beforeEach(() => {
  session = startInMemory({ console: true, colors: false });
  stderr = captureStderr();
});

afterEach(async () => {
  stderr.restore();
  await session.close();
});

describe('startStage', () => {
  it('opens a stage under the active month that ends with handle.end()', async () => {
    await traceMonth('2024-01', async () => {
      const stage = startStage('download', { context: { file_key: 'a.csv' } });
      expect(stage.ended).toBe(false);
      await sleep(5);
      stage.end({ context: { rows: 12 } });
      expect(stage.ended).toBe(true);
    });
    const span = session.span('download');
    const month = session.span('month');
    expect(span.parentSpanContext?.spanId).toBe(month.spanContext().spanId);
    expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(span.attributes).toMatchObject({
      [A.ATTR_OUTCOME]: 'success',
      'stagetrace.context.file_key': 'a.csv',
      'stagetrace.context.rows': 12,
    });
    expect(getSessionSummary().stages.download?.successes).toBe(1);
  });

  it('ignores a second end() with a warning line', () => {
    const stage = startStage('upload');
    stage.end();
    stage.end({ success: false, error: new Error('late') });
    expect(session.spansNamed('upload')).toHaveLength(1);
    const span = session.span('upload');
    expect(span.attributes[A.ATTR_OUTCOME]).toBe('success');
    expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(stderr.lines().filter((l) => /\[WARNING\].*"upload" was ended twice/.test(l))).toHaveLength(1);
    expect(getSessionSummary().stages.upload?.executions).toBe(1);
  });

  it('handle.run(fn) makes spans and stages created inside children of the stage', async () => {
    const tracer = trace.getTracer('user-code');
    await traceMonth('2024-01', async () => {
      const stage = startStage('process');
      const value = stage.run(() => {
        tracer.startSpan('user span').end();
        traceStage('inner', () => undefined);
        return 5;
      });
      expect(value).toBe(5);
      await stage.run(async () => {
        await sleep(2);
        tracer.startSpan('after await').end();
      });
      stage.end();
    });
    const process = session.span('process');
    for (const name of ['user span', 'inner', 'after await']) {
      const child = session.span(name);
      expect(child.parentSpanContext?.spanId, name).toBe(process.spanContext().spanId);
      expect(child.spanContext().traceId).toBe(process.spanContext().traceId);
    }
  });

  it('end({ success: false }) records a failure', () => {
    startStage('validate').end({ success: false });
    const span = session.span('validate');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes[A.ATTR_OUTCOME]).toBe('failure');
    expect(getSessionSummary().stages.validate?.failures).toBe(1);
  });

  it('end({ error }) records ERROR with the exception', () => {
    startStage('upload').end({ error: new Error('403 Forbidden') });
    const span = session.span('upload');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    const exception = span.events.find((e) => e.name === 'exception');
    expect(exception?.attributes?.['exception.message']).toBe('403 Forbidden');
    expect(exception?.attributes?.['exception.type']).toBe('Error');
  });

  it('is a root span outside any month', () => {
    startStage('housekeeping').end();
    expect(session.span('housekeeping').parentSpanContext).toBeUndefined();
  });

  it('rejects a bad name with a TypeError', () => {
    expect(() => startStage('')).toThrow(TypeError);
    expect(() => startStage(7 as unknown as string)).toThrow(/got 7/);
    expect(session.startedSpans().map((s) => s.name)).toEqual([]);
  });
});
