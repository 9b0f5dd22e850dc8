/** stage.progress(): a bar and ETA on the progress line, and span events at coarse steps only. */
import { afterEach, describe, expect, it } from 'vitest';
import { startStage, traceMonth, traceStage } from '../../../src/index.js';
import { type InMemorySession, startInMemory } from '../../helpers/in-memory-sdk.js';

let session: InMemorySession | undefined;
afterEach(async () => {
  await session?.close();
  session = undefined;
});

const progressEvents = (session: InMemorySession, name: string) =>
  session
    .span(name)
    .events.filter((e) => e.name === 'stagetrace.stage.progress')
    .map((e) => e.attributes ?? {});

describe('stage.progress()', () => {
  it('records an event at each tenth of the total, not one per call', () => {
    session = startInMemory();
    traceMonth('2024-01', () =>
      traceStage('load', (stage) => {
        for (let row = 1; row <= 1000; row++) stage.progress(row, 1000);
      }),
    );
    const events = progressEvents(session, 'load');
    expect(events.map((e) => e['stagetrace.progress.done'])).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
    expect(events.every((e) => e['stagetrace.progress.total'] === 1000)).toBe(true);
  });

  it('without a total, records each doubling', () => {
    session = startInMemory();
    const stage = startStage('scan');
    for (let row = 1; row <= 100; row++) stage.progress(row);
    stage.end();
    expect(progressEvents(session, 'scan').map((e) => e['stagetrace.progress.done'])).toEqual([1, 2, 4, 8, 16, 32, 64]);
  });

  it('rejects values that are not counts, naming what it expects', () => {
    session = startInMemory();
    const stage = startStage('x');
    expect(() => stage.progress(Number.NaN)).toThrow(/progress\(done, total\) expects finite numbers of at least 0/);
    expect(() => stage.progress(1, -5)).toThrow(/progress\(done, total\)/);
    stage.end();
  });
});
