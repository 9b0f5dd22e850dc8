/**
 * `logs_delivered` lines of otlp_delivery.jsonl name the messages whose log
 * records the collector took; replay sends every other message. The file is
 * untrusted input: a line is a delivery only when every number in it is a
 * message number (a whole number from 1) and the list is bounded, so an
 * edited line can neither make a reader hold millions of numbers nor mark a
 * message delivered by a number that is not one.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { AUDIT_SCHEMA_VERSION, DELIVERY_LOG_FILE, MAX_SEQS_PER_LINE } from '../../../src/model/audit-schema.js';
import { decodeAuditLine } from '../../../src/report/audit-line.js';
import { readAuditLog } from '../../../src/report/read-audit-log.js';
import { DeliveryJournal } from '../../../src/sinks/audit/delivery-journal.js';

const runs = Number(process.env.STAGETRACE_PROPERTY_RUNS) || 200;
const at = { position: () => ({ file: DELIVERY_LOG_FILE, line: 1, torn: false }) };

function line(fields: Record<string, unknown>): string {
  return JSON.stringify({
    schema_version: AUDIT_SCHEMA_VERSION,
    record_type: 'logs_delivered',
    timestamp: '2026-12-06T05:00:00.000Z',
    session_id: '20261206_050000_a1b2c3',
    via: 'forward',
    endpoint: 'http://127.0.0.1:4318/v1/logs',
    ...fields,
  });
}

const decode = (text: string) => decodeAuditLine('delivery', text, at);

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('logs_delivered lines read back from otlp_delivery.jsonl', () => {
  it('reads a line of message numbers as the delivery of those messages', () => {
    expect(decode(line({ message_seqs: [1, 2, 7] }))?.record?.message_seqs).toEqual([1, 2, 7]);
  });

  it.each([
    ['a fraction', [1, 2.5]],
    ['zero', [0]],
    ['a negative number', [-3]],
    ['a number as text', ['4']],
    ['null', [null]],
    ['a number past 2^53', [2 ** 53 + 2]],
    ['a nested array', [[1]]],
    ['an object', { 0: 1 }],
  ])('skips a line whose message_seqs holds %s, naming the field', (_what, seqs) => {
    const decoded = decode(line({ message_seqs: seqs }));
    expect(decoded?.record).toBeUndefined();
    expect(decoded?.reason).toMatch(
      /^not a valid record: message_seqs is .*, expected an array of at most 4096 whole numbers of 1 or more$/,
    );
  });

  it('skips a line of more numbers than a line may hold, and one without the list', () => {
    const long = Array.from({ length: MAX_SEQS_PER_LINE + 1 }, (_, i) => i + 1);
    expect(decode(line({ message_seqs: long }))?.reason).toMatch(/message_seqs is an array, expected an array of at most 4096/);
    expect(decode(line({}))?.reason).toBe('not a valid record: a logs_delivered record without message_seqs');
    expect(decode(line({ message_seqs: long.slice(1) }))?.record).toBeDefined();
  });

  it('property: any JSON in message_seqs is read as a delivery exactly when it is a bounded list of message numbers', () => {
    const seq = fc.oneof(
      fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
      fc.integer({ min: -5, max: 0 }),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.string({ maxLength: 4 }),
      fc.constant(null),
      fc.boolean(),
    );
    const value = fc.oneof(fc.array(seq, { maxLength: 20 }), fc.jsonValue({ maxDepth: 3 }));
    fc.assert(
      fc.property(value, (seqs) => {
        const wellFormed =
          Array.isArray(seqs) && seqs.length <= MAX_SEQS_PER_LINE && seqs.every((s) => Number.isSafeInteger(s) && (s as number) >= 1);
        const decoded = decode(line({ message_seqs: seqs }));
        if (wellFormed) expect(decoded?.record?.message_seqs).toEqual(seqs);
        else expect(decoded?.reason).toMatch(/^not a valid record: /);
      }),
      { numRuns: runs },
    );
  });

  it('a batch longer than a line holds is journaled over several lines, each read back, together every number once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stagetrace-logs-delivered-'));
    dirs.push(dir);
    const journal = new DeliveryJournal({
      dir,
      maxFileBytes: 64 * 1024 * 1024,
      maxFiles: 2,
      onWriteError: (_f, e) => expect.fail(String(e)),
    });
    journal.open();
    const seqs = Array.from({ length: 2 * MAX_SEQS_PER_LINE + 5 }, (_, i) => i + 1);
    journal.logsDelivered('20261206_050000_a1b2c3', seqs, 'replay', 'http://user:secret@127.0.0.1:4318/v1/logs');
    journal.close();
    expect(readFileSync(join(dir, DELIVERY_LOG_FILE), 'utf8').trim().split('\n')).toHaveLength(3);
    const read: number[] = [];
    for await (const r of readAuditLog(dir, { file: 'delivery' })) {
      expect(r.record_type).toBe('logs_delivered');
      if (r.record_type !== 'logs_delivered') continue;
      expect(r.endpoint).not.toContain('secret');
      read.push(...r.message_seqs);
    }
    expect(read).toEqual(seqs);
  });
});
