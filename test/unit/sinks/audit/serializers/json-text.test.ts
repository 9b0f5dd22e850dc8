/**
 * The JSON pieces every audit record is assembled from: each prints what
 * JSON.stringify prints for the same value, numbers as `String(n)` (`null`
 * for NaN and ±Infinity, which JSON cannot hold).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attributeJson, contextJson, isoTimestamp, num, quote, secondsJson, tenthsJson } from '../../../../../src/model/json-text.js';
import { anyNumber, attributeValue, context, epochMs, seconds, text } from './arbitraries.js';
import { expectSameJson, PREFIX, refContext, refIso, refTenths } from './reference.js';

/** JSON of entries in the given order, one JSON.stringify per key and value. */
const entriesJson = (entries: [string, unknown][]) =>
  `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`).join(',')}}`;

describe('quote', () => {
  it('is JSON.stringify of the string, lone surrogates and control characters included', () => {
    fc.assert(
      fc.property(text(60), (s) => {
        expect(quote(s)).toBe(JSON.stringify(s));
        expect(JSON.parse(quote(s))).toBe(s);
      }),
    );
  });
});

describe('num', () => {
  it('prints a finite number as String() does and anything else as null', () => {
    fc.assert(
      fc.property(anyNumber, (n) => {
        expect(num(n)).toBe(Number.isFinite(n) ? String(n) : 'null');
        expect(num(n)).toBe(JSON.stringify(n));
      }),
    );
  });

  it('examples: -0, 1e21, 5e-324, NaN, Infinity', () => {
    expect([-0, 1e21, 5e-324, 1e-7, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY].map(num)).toEqual([
      '0',
      '1e+21',
      '5e-324',
      '1e-7',
      'null',
      'null',
      'null',
    ]);
  });
});

describe('attributeJson', () => {
  it('is JSON.stringify of any attribute value, arrays included', () => {
    fc.assert(
      fc.property(attributeValue, (value) => {
        expect(attributeJson(value)).toBe(value === undefined ? 'null' : JSON.stringify(value));
      }),
    );
  });
});

describe('contextJson', () => {
  it('is the prefixed attributes, prefix removed and undefined left out, in their order', () => {
    fc.assert(
      fc.property(context, (attributes) => {
        const json = contextJson(attributes, PREFIX);
        const entries = Object.entries(refContext(attributes));
        // Object.entries puts integer-like keys first; the record keeps the attributes' own order.
        const inOrder = Object.keys(attributes)
          .filter((key) => key.startsWith(PREFIX) && attributes[key] !== undefined)
          .map((key): [string, unknown] => [key.slice(PREFIX.length), attributes[key]]);
        expect(json).toBe(entriesJson(inOrder));
        expectSameJson(JSON.parse(json), JSON.parse(JSON.stringify(Object.fromEntries(entries))), 'context');
      }),
    );
  });

  it('with an empty prefix takes every key; __proto__ stays an ordinary key', () => {
    const attributes = Object.fromEntries([
      ['__proto__', 1],
      ['b', 'x'],
    ]);
    const json = contextJson(attributes, '');
    expect(json).toBe('{"__proto__":1,"b":"x"}');
    expect(Object.keys(JSON.parse(json))).toEqual(['__proto__', 'b']);
  });

  it('is {} for no attributes', () => {
    expect(contextJson(undefined, PREFIX)).toBe('{}');
    expect(contextJson({ 'stagetrace.kind': 'stage' }, PREFIX)).toBe('{}');
  });

  it('leaves out an attribute whose value is undefined, as JSON.stringify of the object does', () => {
    expect(contextJson({ [`${PREFIX}a`]: undefined, [`${PREFIX}b`]: 2 }, PREFIX)).toBe('{"b":2}');
  });
});

describe('isoTimestamp', () => {
  it('is new Date(ms).toISOString() of the whole millisecond, from 1970 to 9999', () => {
    fc.assert(
      fc.property(epochMs, (ms) => {
        expect(isoTimestamp(ms)).toBe(refIso(ms));
      }),
    );
  });

  it('is right twice in a row within one second and across seconds (its cache)', () => {
    for (const ms of [1730736125552, 1730736125999.9, 1730736126000, 1730736125001, 0, 999]) expect(isoTimestamp(ms)).toBe(refIso(ms));
  });
});

describe('tenthsJson', () => {
  it('prints the value rounded to one decimal as String() prints that number', () => {
    fc.assert(
      fc.property(anyNumber, (n) => {
        expect(tenthsJson(n)).toBe(JSON.stringify(refTenths(n)));
      }),
    );
  });

  it('rounds huge values too (regression: 1e14 and above were printed unrounded)', () => {
    expect(tenthsJson(1e14 + 0.37)).toBe(String(Math.round((1e14 + 0.37) * 10) / 10));
    expect(tenthsJson(123456789012345.67)).toBe('123456789012345.7');
  });

  it('examples', () => {
    expect([109.24, 17, -0.3, -0.04, -0, 0.05, 1e21, Number.NaN].map(tenthsJson)).toEqual([
      '109.2',
      '17',
      '-0.3',
      '0',
      '0',
      '0.1',
      '1e+21',
      'null',
    ]);
  });
});

describe('secondsJson', () => {
  it('prints seconds exactly as String() does, whatever their precision', () => {
    fc.assert(
      fc.property(seconds, (s) => {
        expect(secondsJson(s)).toBe(JSON.stringify(s));
      }),
    );
  });

  it('regressions: values within a millionth of a millisecond of a whole millisecond, and denormals, keep their digits', () => {
    expect(secondsJson(5e-324)).toBe('5e-324');
    expect(secondsJson(0.0010000000001)).toBe('0.0010000000001');
    expect(secondsJson(2.0000000000001)).toBe('2.0000000000001');
    expect(secondsJson(0.0000010000000001)).toBe('0.0000010000000001');
  });

  it('examples', () => {
    expect([0.012, 0.000347, 0.000001, 1.5, 3, -0, -0.25, 0.1 + 0.2, 1e21, 5e-7, Number.POSITIVE_INFINITY].map(secondsJson)).toEqual([
      '0.012',
      '0.000347',
      '0.000001',
      '1.5',
      '3',
      '0',
      '-0.25',
      '0.30000000000000004',
      '1e+21',
      '5e-7',
      'null',
    ]);
  });
});
