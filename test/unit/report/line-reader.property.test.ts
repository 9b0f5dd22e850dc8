import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forEachLine, LineReader, MAX_LINE_CHARS, OVERLONG_LINE } from '../../../src/report/line-reader.js';

const runs = Number(process.env.STAGETRACE_PROPERTY_RUNS) || 100;

let work: string;
let n = 0;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'stagetrace-line-reader-'));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

async function linesOf(files: string[]): Promise<{ lines: string[]; torn: boolean }> {
  const reader = new LineReader(files);
  const lines: string[] = [];
  let torn = false;
  await forEachLine(reader, (line) => {
    lines.push(line);
    torn = reader.lastLineTorn;
  });
  return { lines, torn };
}

/** Lines of any characters (astral and multi-byte ones cut across 64 KiB chunks), some longer than a chunk. */
const line = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => s.replaceAll('\n', ' ')),
  fc.tuple(fc.constantFrom('a', 'é', '€', '😀'), fc.integer({ min: 1, max: 70_000 })).map(([ch, count]) => ch.repeat(count)),
);

describe('LineReader', () => {
  it('gives back the lines of any files, as split on newlines, the unterminated end of the last file as torn', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(line, { maxLength: 6 }), { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        async (files, endsOpen) => {
          const paths = files.map((lines, i) => {
            const path = join(work, `f-${++n}`);
            const last = i === files.length - 1 && endsOpen && lines.length > 0 && lines.at(-1) !== '';
            writeFileSync(path, lines.map((l, j) => (last && j === lines.length - 1 ? l : `${l}\n`)).join(''));
            return path;
          });
          const expected = files.flat();
          const read = await linesOf(paths);
          expect(read.lines).toEqual(expected);
          const lastFile = files.at(-1) ?? [];
          expect(read.torn).toBe(endsOpen && lastFile.length > 0 && lastFile.at(-1) !== '');
        },
      ),
      { numRuns: runs },
    );
  }, 120_000);

  it('skips a line past the cap to its end, in place of it one line that cannot be a real one, and reads on', async () => {
    const path = join(work, 'long');
    writeFileSync(path, `first\n${'x'.repeat(MAX_LINE_CHARS + 200_000)}\nnext\n${'é'.repeat(MAX_LINE_CHARS + 1)}`);
    const read = await linesOf([path]);
    expect(read.lines).toEqual(['first', OVERLONG_LINE, 'next', OVERLONG_LINE]);
    expect(read.torn).toBe(true);
  }, 60_000);
});
