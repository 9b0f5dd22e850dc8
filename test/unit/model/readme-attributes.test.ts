/**
 * The README's attribute and event tables are what users build Jaeger
 * searches and dashboards from: every name they list is on the spans they
 * say, and every stagetrace attribute a real span carries is listed.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { logProgress, startStage, traceMonth, traceStage } from '../../../src/index.js';
import { type InMemorySession, startInMemory } from '../../helpers/in-memory-sdk.js';
import { sleep } from '../../helpers/sleep.js';

const README = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');

/** Rows of the markdown table whose header starts with `first`: [names, on]. */
function table(first: string): { names: string[]; on: string; third: string }[] {
  const start = README.indexOf(`| ${first} |`);
  expect(start, `README table "${first}"`).toBeGreaterThan(-1);
  const rows = README.slice(start).split('\n');
  const out: { names: string[]; on: string; third: string }[] = [];
  for (const row of rows.slice(2)) {
    if (!row.startsWith('|')) break;
    const [, names = '', on = '', third = ''] = row.split('|').map((c) => c.trim());
    // `a`, `…b` → the full names; `…` repeats the prefix of the first name.
    const listed = [...names.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);
    const first = listed[0] ?? '';
    const prefix = first.slice(0, first.lastIndexOf('.') + 1);
    out.push({ names: listed.map((n) => (n.startsWith('…') ? prefix + n.slice(1) : n)), on, third });
  }
  return out;
}

let session: InMemorySession | undefined;
afterEach(async () => {
  await session?.close();
  session = undefined;
});

describe('README span tables', () => {
  it('list exactly the stagetrace attributes real spans carry, on the kinds of span they say', async () => {
    session = startInMemory();
    await traceMonth('2024-01', async () => {
      await traceStage('slow', () => sleep(5), { warnAfterSeconds: 0.001, context: { rows: 1 } });
      traceStage('ok', () => logProgress('hello', { context: { batch: 1 } }));
    });
    traceStage('lonely', () => undefined);
    const interrupted = startStage('cut');
    await session.close();
    expect(interrupted.ended).toBe(true);
    const spans = session.spans();
    const month = spans.find((s) => s.name === 'month') as ReadableSpan;
    const inMonth = spans.find((s) => s.name === 'ok') as ReadableSpan;
    const slow = spans.find((s) => s.name === 'slow') as ReadableSpan;
    const lonely = spans.find((s) => s.name === 'lonely') as ReadableSpan;
    const cut = spans.find((s) => s.name === 'cut') as ReadableSpan;

    const seen = new Set<string>();
    for (const span of spans) for (const key of Object.keys(span.attributes)) if (!key.startsWith('stagetrace.context.')) seen.add(key);
    const listed = new Set<string>();
    for (const row of table('attribute')) {
      for (const name of row.names) {
        if (name === 'stagetrace.context.<key>') continue;
        listed.add(name);
        const where = row.on;
        if (where.startsWith('month')) expect(month.attributes, `${name} on month`).toHaveProperty([name]);
        if (/(^|, )stage( |$)/.test(where) && !where.includes('outside') && !where.startsWith('slow') && !where.startsWith('interrupted'))
          expect(inMonth.attributes, `${name} on a stage`).toHaveProperty([name]);
        if (where.includes('stage outside a month')) {
          expect(lonely.attributes, `${name} on a stage outside a month`).toHaveProperty([name]);
          expect(inMonth.attributes, `${name} not on a stage inside a month`).not.toHaveProperty([name]);
        }
        if (where.startsWith('slow')) expect(slow.attributes, `${name} on a slow stage`).toHaveProperty([name]);
        if (where.startsWith('interrupted')) expect(cut.attributes, `${name} on an interrupted stage`).toHaveProperty([name]);
      }
    }
    expect([...seen].sort()).toEqual([...listed].sort());
    expect(Object.keys(inMonth.attributes).some((k) => k.startsWith('stagetrace.context.'))).toBe(false);
    expect(slow.attributes['stagetrace.context.rows']).toBe(1);

    const events = new Map(table('event').map((row) => [row.names[0] as string, row.third]));
    const eventNames = new Set(spans.flatMap((s) => s.events.map((e) => e.name)));
    for (const name of eventNames) expect(events.has(name), `event ${name} in the README`).toBe(true);
    const slowEvent = slow.events.find((e) => e.name === 'stagetrace.stage.slow');
    for (const attribute of Object.keys(slowEvent?.attributes ?? {})) expect(events.get('stagetrace.stage.slow')).toContain(attribute);
    const logEvent = inMonth.events.find((e) => e.name === 'log');
    for (const attribute of Object.keys(logEvent?.attributes ?? {})) {
      if (!attribute.startsWith('stagetrace.context.')) expect(events.get('log')).toContain(attribute);
    }
  });
});
