import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_LOG_FILE } from '../../../src/model/audit-schema.js';
import { escapeForLine, formatLocalTimestamp } from '../../../src/model/human-format.js';
import { readErrorDetails } from '../../../src/report/error-details.js';
import { type ErrorBlockFields, errorBlock } from '../../../src/sinks/audit/audit-records.js';
import { T0 } from '../../helpers/records.js';

const runs = Number(process.env.STAGETRACE_PROPERTY_RUNS) || 100;

let work: string;
let n = 0;
const freshDir = () => mkdtempSync(join(work, `case-${++n}-`));

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'stagetrace-error-details-'));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

function fields(overrides: Partial<ErrorBlockFields> = {}): ErrorBlockFields {
  return {
    atMs: T0,
    sessionId: 's1',
    month: '2024-03',
    stage: 'validate',
    message: 'validate failed: RangeError: negative price',
    errorType: 'RangeError',
    errorMessage: 'negative price',
    stack: 'RangeError: negative price\n    at validate (etl.ts:17:9)',
    causes: [{ type: 'Error', message: 'row 17', stack: 'Error: row 17\n    at parse (etl.ts:3:1)' }],
    attributes: { 'stagetrace.context.file_key': 'raw/2024-03.csv' },
    traceId: 'a'.repeat(32),
    spanId: 'b'.repeat(16),
    ...overrides,
  };
}

describe('readErrorDetails', () => {
  it('reads back every field of a block the audit log writes, traceback and causes included', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, ERROR_LOG_FILE), errorBlock(fields()));
    expect(await readErrorDetails(dir, 's1')).toEqual({
      errors: [
        {
          time: formatLocalTimestamp(T0),
          month: '2024-03',
          stage: 'validate',
          message: 'validate failed: RangeError: negative price',
          type: 'RangeError',
          errorMessage: 'negative price',
          stack: 'RangeError: negative price\n    at validate (etl.ts:17:9)\nCaused by: Error: row 17\n    at parse (etl.ts:3:1)',
          context: '{"file_key":"raw/2024-03.csv"}',
          traceId: 'a'.repeat(32),
          spanId: 'b'.repeat(16),
        },
      ],
      more: 0,
    });
  });

  it('reads what was left out as null: no month, stage, message, trace', async () => {
    const dir = freshDir();
    writeFileSync(
      join(dir, ERROR_LOG_FILE),
      errorBlock(
        fields({
          month: undefined,
          stage: undefined,
          message: undefined,
          stack: undefined,
          causes: undefined,
          traceId: undefined,
          spanId: undefined,
          attributes: undefined,
        }),
      ),
    );
    const { errors } = await readErrorDetails(dir, 's1');
    expect(errors[0]).toMatchObject({
      month: null,
      stage: null,
      message: null,
      stack: 'RangeError: negative price',
      context: '{}',
      traceId: null,
      spanId: null,
    });
  });

  it('keeps only the session’s blocks, in file order across rotated generations, the first `limit` in full and the rest counted', async () => {
    const dir = freshDir();
    const block = (i: number, sessionId: string) => errorBlock(fields({ atMs: T0 + i, sessionId, errorMessage: `error ${i}` }));
    writeFileSync(join(dir, `${ERROR_LOG_FILE}.2`), block(1, 's1') + block(2, 'other'));
    writeFileSync(join(dir, `${ERROR_LOG_FILE}.1`), block(3, 's1'));
    writeFileSync(join(dir, ERROR_LOG_FILE), block(4, 'other') + block(5, 's1') + block(6, 's1'));
    const all = await readErrorDetails(dir, 's1');
    expect(all.errors.map((e) => e.errorMessage)).toEqual(['error 1', 'error 3', 'error 5', 'error 6']);
    expect(all.more).toBe(0);
    const first = await readErrorDetails(dir, 's1', 2);
    expect(first.errors.map((e) => e.errorMessage)).toEqual(['error 1', 'error 3']);
    expect(first.more).toBe(2);
  });

  it('skips lines outside blocks, a block without its session, and an unfinished last block', async () => {
    const dir = freshDir();
    const file = join(dir, ERROR_LOG_FILE);
    writeFileSync(file, 'stray line\n[not a header]\n');
    appendFileSync(file, '[2025-01-06 09:00:00.000] ERROR DETAILS:\nError Type: Error\n----------------------------------------\n');
    appendFileSync(file, errorBlock(fields()));
    appendFileSync(
      file,
      errorBlock(fields({ errorMessage: 'cut short' }))
        .split('\n')
        .slice(0, 5)
        .join('\n'),
    );
    expect((await readErrorDetails(dir, 's1')).errors.map((e) => e.errorMessage)).toEqual(['negative price']);
  });

  it('cuts a runaway block at 400 lines', async () => {
    const dir = freshDir();
    const frames = Array.from({ length: 2000 }, (_, i) => `    at frame${i} (etl.ts:${i}:1)`).join('\n');
    writeFileSync(join(dir, ERROR_LOG_FILE), errorBlock(fields({ stack: `RangeError: deep\n${frames}`, causes: undefined })));
    const [error] = (await readErrorDetails(dir, 's1')).errors;
    expect(error?.stack.split('\n').length).toBeLessThan(400);
    expect(error?.stack.split('\n')[1]).toBe('    at frame0 (etl.ts:0:1)');
    expect(error?.errorMessage).toBe('negative price');
  });

  it('finds nothing where there is no error log, and says which file it cannot read', async () => {
    const dir = freshDir();
    expect(await readErrorDetails(dir, 's1')).toEqual({ errors: [], more: 0 });
    mkdirSync(join(dir, ERROR_LOG_FILE));
    await expect(readErrorDetails(dir, 's1')).rejects.toMatchObject({
      name: 'AuditLogError',
      kind: 'unreadable',
      message: `cannot read ${join(dir, ERROR_LOG_FILE)}: it is a folder, not a file`,
    });
  });

  it('reads back whatever the fields hold, each as the one line the writer made of it', async () => {
    const text = fc.string({ unit: 'binary', minLength: 1, maxLength: 30 });
    const dir = freshDir();
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          month: text.filter((s) => s !== '-'),
          stage: text.filter((s) => s !== '-'),
          message: text,
          errorType: text,
          errorMessage: text,
          stack: fc.array(text, { minLength: 1, maxLength: 5 }).map((lines) => lines.join('\n')),
        }),
        async (f) => {
          writeFileSync(join(dir, ERROR_LOG_FILE), errorBlock(fields({ ...f, causes: undefined })));
          const { errors } = await readErrorDetails(dir, 's1');
          expect(errors).toHaveLength(1);
          expect(errors[0]).toMatchObject({
            month: escapeForLine(f.month),
            stage: escapeForLine(f.stage),
            message: escapeForLine(f.message),
            type: escapeForLine(f.errorType),
            errorMessage: escapeForLine(f.errorMessage),
            stack: f.stack.split('\n').map(escapeForLine).join('\n'),
          });
        },
      ),
      { numRuns: runs },
    );
  });
});
