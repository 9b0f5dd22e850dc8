import { SpanStatusCode } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { attributes as A, getSessionSummary, LEVELS, logProgress, traceMonth, traceStage } from '../../../src/index.js';
import { captureStderr, type StderrCapture } from '../../helpers/capture-stderr.js';
import { type InMemorySession, startInMemory } from '../../helpers/in-memory-sdk.js';

let session: InMemorySession;
let stderr: StderrCapture;

beforeEach(() => {
  session = startInMemory({ console: true, colors: false, logLevel: 'DEBUG' });
  stderr = captureStderr();
});

afterEach(async () => {
  stderr.restore();
  await session.close();
});

function logEvents(name: string) {
  return session
    .span(name)
    .events.filter((e) => e.name === A.EVENT_LOG)
    .map((e) => e.attributes ?? {});
}

describe('logProgress: levels', () => {
  it('accepts the five levels, in upper and lower case', () => {
    traceStage('work', () => {
      for (const level of LEVELS) {
        logProgress(`upper ${level}`, { level });
        logProgress(`lower ${level}`, { level: level.toLowerCase() as Lowercase<typeof level> });
      }
    });
    const events = logEvents('work');
    expect(events.map((e) => e[A.EVENT_ATTR_LEVEL])).toEqual(LEVELS.flatMap((l) => [l, l]));
    for (const level of LEVELS) {
      expect(stderr.lines().some((l) => l.includes(`[${level}] [work] lower ${level}`))).toBe(true);
    }
  });

  it('defaults to INFO', () => {
    traceStage('work', () => logProgress('plain'));
    expect(logEvents('work')[0]?.[A.EVENT_ATTR_LEVEL]).toBe('INFO');
  });

  it.each(['VERBOSE', 'trace', '', 'toString', 'constructor'])('rejects level %j with a TypeError naming it', (level) => {
    expect(() => logProgress('x', { level: level as 'INFO' })).toThrow(TypeError);
    expect(() => logProgress('x', { level: level as 'INFO' })).toThrow(JSON.stringify(level));
  });

  it('rejects a non-string level', () => {
    expect(() => logProgress('x', { level: 3 as unknown as 'INFO' })).toThrow(/level.*got 3/);
  });
});

describe('logProgress: span events', () => {
  it('adds a log event with level and message to the active stage', () => {
    traceMonth('2024-01', () => {
      traceStage('download', () => {
        logProgress('Downloading 3 files', { context: { files: 3 } });
      });
      logProgress('Between stages', { level: 'WARNING' });
    });
    expect(logEvents('download')).toEqual([
      { [A.EVENT_ATTR_LEVEL]: 'INFO', [A.EVENT_ATTR_MESSAGE]: 'Downloading 3 files', 'stagetrace.context.files': 3 },
    ]);
    expect(logEvents('month')).toEqual([{ [A.EVENT_ATTR_LEVEL]: 'WARNING', [A.EVENT_ATTR_MESSAGE]: 'Between stages' }]);
  });

  it('records an error as an exception on the active span without failing it', () => {
    traceStage('upload', () => {
      logProgress('Retrying upload', { level: 'WARNING', error: new Error('socket hang up') });
    });
    const span = session.span('upload');
    const exception = span.events.find((e) => e.name === 'exception');
    expect(exception?.attributes?.['exception.message']).toBe('socket hang up');
    expect(span.attributes[A.ATTR_OUTCOME]).toBe('success');
    expect(stderr.lines().some((l) => l.includes('[WARNING] [upload] Retrying upload (Error: socket hang up)'))).toBe(true);
  });

  it('works with no active span at all', () => {
    expect(() => logProgress('Session starting')).not.toThrow();
    expect(stderr.lines().some((l) => /\] \[INFO\] Session starting$/.test(l))).toBe(true);
  });
});

describe('logProgress: stage events', () => {
  it("stageEvent 'start' and 'end' open and close a stage like startStage", () => {
    traceMonth('2024-01', () => {
      logProgress('Downloading', { stage: 'download', stageEvent: 'start', context: { file_key: 'k.csv' } });
      logProgress('Half way', { stage: 'download' });
      logProgress('Downloaded', { stage: 'download', stageEvent: 'end' });
    });
    const stage = session.span('download');
    const month = session.span('month');
    expect(stage.parentSpanContext?.spanId).toBe(month.spanContext().spanId);
    expect(stage.attributes[A.ATTR_OUTCOME]).toBe('success');
    expect(stage.attributes['stagetrace.context.file_key']).toBe('k.csv');
    expect(logEvents('download').map((e) => e[A.EVENT_ATTR_MESSAGE])).toEqual(['Downloading', 'Half way', 'Downloaded']);
    expect(getSessionSummary().months['2024-01']?.stages).toBe(1);
  });

  it('ending with level ERROR records a failure', () => {
    logProgress('Validating', { stage: 'validate', stageEvent: 'start' });
    logProgress('Validation failed', { stage: 'validate', stageEvent: 'end', level: 'error' });
    const span = session.span('validate');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes[A.ATTR_OUTCOME]).toBe('failure');
    expect(getSessionSummary().stages.validate?.failures).toBe(1);
  });

  it('ending with level CRITICAL records a failure', () => {
    logProgress('', { stage: 'validate', stageEvent: 'start' });
    logProgress('Out of memory', { stage: 'validate', stageEvent: 'end', level: 'CRITICAL' });
    expect(session.span('validate').attributes[A.ATTR_OUTCOME]).toBe('failure');
  });

  it('ending with an error records a failure with the exception', () => {
    logProgress('Uploading', { stage: 'upload', stageEvent: 'start' });
    logProgress('Upload failed', { stage: 'upload', stageEvent: 'end', error: new Error('503 Slow Down') });
    const span = session.span('upload');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.events.find((e) => e.name === 'exception')?.attributes?.['exception.message']).toBe('503 Slow Down');
  });

  it('ending with WARNING still counts as success', () => {
    logProgress('Uploading', { stage: 'upload', stageEvent: 'start' });
    logProgress('Uploaded with retries', { stage: 'upload', stageEvent: 'end', level: 'WARNING' });
    expect(session.span('upload').attributes[A.ATTR_OUTCOME]).toBe('success');
  });

  it('ending a stage that was never started warns and creates no span', () => {
    expect(() => logProgress('Done', { stage: 'ghost', stageEvent: 'end' })).not.toThrow();
    expect(session.startedSpans().map((s) => s.name)).toEqual([]);
    expect(stderr.lines().some((l) => l.includes('[WARNING]') && l.includes('"ghost"'))).toBe(true);
  });

  it('rejects a stageEvent without a stage name, and an unknown stageEvent', () => {
    expect(() => logProgress('x', { stageEvent: 'start' })).toThrow(TypeError);
    expect(() => logProgress('x', { stage: 'a', stageEvent: 'begin' as 'start' })).toThrow(/'start' or 'end'.*"begin"/);
  });
});
