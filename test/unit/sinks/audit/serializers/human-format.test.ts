/**
 * The human log's pieces: one event is always one line, its parts read back
 * exactly, and its numbers and local timestamps say what the record says.
 * Local time is the subject, so the zone is one with a half-hour offset and
 * a half-hour daylight-saving shift.
 */
process.env.TZ = 'Australia/Lord_Howe';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  escapeForLine,
  escapeLabel,
  formatHumanLine,
  formatLocalTimestamp,
  formatSeconds,
  formatTenths,
} from '../../../../../src/model/human-format.js';
import { anyNumber, epochMs, humanSeconds, name, text } from './arbitraries.js';
import { parseHumanLine, refHumanSeconds, refHumanTenths, refLocalTimestamp, UNSAFE_IN_LINE, unescapeLine } from './reference.js';

const tag = fc.constantFrom('DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL', 'TIMING', 'MEMORY_TRACKING');

describe('formatLocalTimestamp', () => {
  it('is the local date and time of the whole millisecond, as the Date getters give it', () => {
    expect(new Date(2024, 0, 1).getTimezoneOffset(), 'the test runs in a zone other than UTC').toBe(-660);
    fc.assert(
      fc.property(epochMs, (ms) => {
        expect(formatLocalTimestamp(ms)).toBe(refLocalTimestamp(ms));
      }),
    );
  });

  it('is right on both sides of a daylight-saving change and within one second (its cache)', () => {
    // Lord Howe Island left daylight saving at 2024-04-07 02:00 local (+11:00 → +10:30).
    const change = Date.UTC(2024, 3, 6, 15, 0, 0);
    for (const ms of [change - 1, change - 0.5, change, change + 1, change + 999, change + 1000, change - 1000]) {
      expect(formatLocalTimestamp(ms)).toBe(refLocalTimestamp(ms));
    }
  });
});

describe('escapeForLine', () => {
  it('leaves nothing that breaks a line or moves a terminal, and unescapes to the original', () => {
    fc.assert(
      fc.property(text(80), (s) => {
        const escaped = escapeForLine(s);
        expect(UNSAFE_IN_LINE.exec(escaped)?.[0]).toBeUndefined();
        expect(unescapeLine(escaped)).toBe(s);
      }),
    );
  });

  it('leaves printable text without backslashes as it is', () => {
    const printable = fc.string({ unit: 'grapheme', maxLength: 40 }).filter((s) => !UNSAFE_IN_LINE.test(s) && !s.includes('\\'));
    fc.assert(
      fc.property(printable, (s) => {
        expect(escapeForLine(s)).toBe(s);
      }),
    );
  });

  it('examples', () => {
    expect(escapeForLine('a\nb\r\tc\u001b[31m\u2028\u0085')).toBe('a\\nb\\r\\tc\\u001b[31m\\u2028\\u0085');
    expect(escapeForLine('lone \ud800 and paired 😀')).toBe('lone \\ud800 and paired 😀');
    expect(escapeForLine('[ok] ]')).toBe('[ok] ]');
  });

  it('regression: a literal backslash-n is written so it cannot read as an escaped newline', () => {
    expect(escapeForLine('C:\\new')).toBe('C:\\\\new');
    expect(unescapeLine(escapeForLine('C:\\new'))).toBe('C:\\new');
    expect(escapeForLine('C:\\new')).not.toBe(escapeForLine('C:\new'));
  });
});

describe('escapeLabel', () => {
  it('is escapeForLine that also escapes the closing bracket, so a label ends at the first unescaped ]', () => {
    fc.assert(
      fc.property(text(40), (s) => {
        const escaped = escapeLabel(s);
        expect(escaped.replace(/\\./g, '')).not.toContain(']');
        expect(unescapeLine(escaped)).toBe(s);
      }),
    );
  });

  it('regression: a stage named "a] [b" cannot pass for two fields', () => {
    expect(escapeLabel('a] [b')).toBe('a\\] [b');
  });
});

describe('formatHumanLine', () => {
  it('is one line whose timestamp, tag, stage and message read back exactly', () => {
    fc.assert(
      fc.property(epochMs, tag, fc.option(name, { nil: undefined }), text(80), (ms, level, stage, message) => {
        const line = formatHumanLine(ms, level, stage, message);
        expect(parseHumanLine(line, stage !== undefined)).toEqual({ timestamp: refLocalTimestamp(ms), tag: level, stage, message });
      }),
    );
  });
});

describe('formatSeconds', () => {
  it('gives two decimals below 10 s and one from there, rounded half up', () => {
    fc.assert(
      fc.property(humanSeconds, (s) => {
        expect(formatSeconds(s)).toBe(refHumanSeconds(s));
      }),
    );
  });

  it('prints anything outside [0, 1e9) as String() does, on one line', () => {
    fc.assert(
      fc.property(anyNumber, (s) => {
        expect(formatSeconds(s)).toBe(refHumanSeconds(s));
      }),
    );
  });

  it('examples', () => {
    expect([0, 0.134, 0.005, 9.994, 9.996, 12.44, 3725, 1e9, -1, Number.NaN].map(formatSeconds)).toEqual([
      '0.00',
      '0.13',
      '0.01',
      '9.99',
      '10.00',
      '12.4',
      '3725.0',
      '1000000000',
      '-1',
      'NaN',
    ]);
  });
});

describe('formatTenths', () => {
  it('gives one decimal place, rounded half up', () => {
    fc.assert(
      fc.property(fc.oneof(humanSeconds, anyNumber), (value) => {
        expect(formatTenths(value)).toBe(refHumanTenths(value));
      }),
    );
  });

  it('examples', () => {
    expect([109.24, 3, 0.05, 1e12, -0.25].map(formatTenths)).toEqual(['109.2', '3.0', '0.1', '1000000000000.0', '-0.3']);
  });
});
