import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRetryAfter, RetryAfterWatch } from '../../../src/export/retry-after-watch.js';
import { Backoff, isPermanentFailure, MAX_RETRY_AFTER_MILLIS } from '../../../src/export/retry-backoff.js';

describe('Backoff', () => {
  it('waits between half and all of a ceiling that doubles from the first wait up to the maximum', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (failures, r) => {
        const backoff = new Backoff({ initialMillis: 1000, maxMillis: 30_000, random: () => r });
        let wait = 0;
        for (let i = 0; i < failures; i++) wait = backoff.next();
        const ceiling = Math.min(30_000, 1000 * 2 ** (failures - 1));
        expect(wait).toBeGreaterThanOrEqual(Math.floor(ceiling / 2));
        expect(wait).toBeLessThanOrEqual(ceiling);
      }),
    );
  });

  it('honours a longer Retry-After, up to five minutes', () => {
    const backoff = new Backoff({ random: () => 0 });
    expect(backoff.next(12_000)).toBe(12_000);
    expect(backoff.next(3_600_000)).toBe(MAX_RETRY_AFTER_MILLIS);
    expect(backoff.next(10)).toBe(2000); // third failure: ceiling 4 s, half of it
    backoff.reset();
    expect(backoff.failures).toBe(0);
    expect(backoff.next()).toBe(500);
  });
});

describe('which failures are worth retrying', () => {
  const otlpError = (code: number | undefined) => Object.assign(new Error('x'), { name: 'OTLPExporterError', code });
  it('gives up on 4xx answers except 408 and 429', () => {
    expect(isPermanentFailure(otlpError(400))).toBe(true);
    expect(isPermanentFailure(otlpError(413))).toBe(true);
    expect(isPermanentFailure(otlpError(408))).toBe(false);
    expect(isPermanentFailure(otlpError(429))).toBe(false);
  });
  it('retries 5xx, the exporter giving up its own retries, network errors and anything unknown', () => {
    expect(isPermanentFailure(otlpError(503))).toBe(false);
    expect(isPermanentFailure(otlpError(undefined))).toBe(false);
    expect(isPermanentFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(false);
    expect(isPermanentFailure(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe(false);
    expect(isPermanentFailure(undefined)).toBe(false);
    expect(isPermanentFailure('400')).toBe(false);
  });
});

describe('Retry-After', () => {
  it('reads delay-seconds and HTTP dates, and nothing else', () => {
    const now = Date.parse('2026-12-01T10:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Tue, 01 Dec 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Tue, 01 Dec 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter('9'.repeat(100), now)).toBeUndefined();
  });

  it('is seen on responses from the traces URL only', async () => {
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(503, { 'retry-after': req.url === '/v1/traces' ? '4' : '9' }).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const watch = new RetryAfterWatch(`${base}/v1/traces`);
    const post = (path: string) =>
      new Promise<void>((resolve, reject) => {
        const req = request(`${base}${path}`, { method: 'POST' }, (res) => {
          res.resume();
          res.on('end', resolve);
        });
        req.on('error', reject);
        req.end('{}');
      });
    try {
      const before = Date.now();
      await post('/v1/metrics');
      expect(watch.retryAfterSince(before)).toBeUndefined();
      await post('/v1/traces');
      const asked = watch.retryAfterSince(before);
      expect(asked).toBeGreaterThan(3500);
      expect(asked).toBeLessThanOrEqual(4000);
      expect(watch.retryAfterSince(Date.now() + 1)).toBeUndefined(); // only answers seen since then
      watch.close();
      watch.close();
    } finally {
      server.close();
    }
  });
});
