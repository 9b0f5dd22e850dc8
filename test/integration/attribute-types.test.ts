/**
 * OTLP encodes a whole-valued double as an int64, so a numeric attribute
 * that is sometimes 2 and sometimes 1.5 arrives with two types, and
 * backends then split or drop it. stagetrace's numeric attributes are in
 * integer units: in a real OTLP/JSON payload each key has one type on
 * every span and event.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { forceFlush, shutdown, start, traceMonth, traceStage } from '../../src/index.js';
import { resetGlobals } from '../helpers/in-memory-sdk.js';
import { sleep } from '../helpers/sleep.js';
import { OtlpReceiver } from './otlp-receiver.js';

interface KeyValue {
  key: string;
  value: Record<string, unknown>;
}

let receiver: OtlpReceiver | undefined;
afterEach(async () => {
  await shutdown();
  resetGlobals();
  await receiver?.close();
});

describe('numeric span attributes in an OTLP payload', () => {
  it('keep one value type per key across months, stages and slow-stage events', async () => {
    receiver = await OtlpReceiver.start();
    await start({ logDir: false, console: false, hostMetrics: false, handleExit: false, otlp: { endpoint: receiver.url } });
    for (const month of ['2024-01', '2024-02', '2024-03']) {
      await traceMonth(month, async () => {
        traceStage('instant', () => undefined);
        await traceStage('short', () => sleep(3), { warnAfterSeconds: 0.001 });
        traceStage('wide', () => undefined, { context: { rows: 10, ratio: 0.5, whole: 2 } });
      });
    }
    await forceFlush();
    const types = new Map<string, Set<string>>();
    const note = (attributes: KeyValue[] | undefined) => {
      for (const { key, value } of attributes ?? []) {
        const kind = Object.keys(value)[0] as string;
        if (kind !== 'intValue' && kind !== 'doubleValue') continue;
        const seen = types.get(key) ?? new Set<string>();
        seen.add(kind);
        types.set(key, seen);
      }
    };
    let spans = 0;
    for (const request of receiver.requests.filter((r) => r.path === '/v1/traces')) {
      const body = request.json as {
        resourceSpans: { scopeSpans: { spans: { attributes?: KeyValue[]; events?: { attributes?: KeyValue[] }[] }[] }[] }[];
      };
      for (const rs of body.resourceSpans)
        for (const ss of rs.scopeSpans)
          for (const span of ss.spans) {
            spans++;
            note(span.attributes);
            for (const event of span.events ?? []) note(event.attributes);
          }
    }
    expect(spans).toBe(12);
    for (const key of [
      'stagetrace.duration_us',
      'stagetrace.memory.rss_end_bytes',
      'stagetrace.memory.rss_delta_bytes',
      'stagetrace.stage.threshold_us',
    ]) {
      expect([...(types.get(key) ?? [])], key).toEqual(['intValue']);
    }
    // Every stagetrace attribute has one type; context values are the caller's own.
    for (const [key, kinds] of types) if (!key.startsWith('stagetrace.context.')) expect(kinds.size, key).toBe(1);
  });
});
