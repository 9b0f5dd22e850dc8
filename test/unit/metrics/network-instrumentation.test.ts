import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseProcNetDev } from '../../../src/metrics/network-instrumentation.js';

const runs = Number(process.env.STAGETRACE_PROPERTY_RUNS) || 200;

const SAMPLE = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:   15337      49    0    0    0     0          0         0    15337      49    0    0    0     0       0          0
  eth0: 9876543   12000    2    5    0     0          0         0  1234567    9000    1    3    0     0       0          0
`;

describe('/proc/net/dev, read for the system.network group', () => {
  it('gives bytes, errors and drops per interface and direction, loopback left out', () => {
    expect(parseProcNetDev(SAMPLE)).toEqual([
      { iface: 'eth0', rxBytes: 9876543, rxErrors: 2, rxDropped: 5, txBytes: 1234567, txErrors: 1, txDropped: 3 },
    ]);
  });

  it('skips lines without sixteen numeric columns instead of reporting garbage', () => {
    expect(parseProcNetDev('eth0: 1 2 3\nwlan0: a b c d e f g h i j k l m n o p\n: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16')).toEqual([]);
  });

  it('never throws on arbitrary text and only reports finite counters', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(':', ' ', '\n', '1', '9', 'e', 'x', '-', '.', 'l', 'o') }), (text) => {
        for (const c of parseProcNetDev(text)) {
          expect(c.iface).not.toBe('');
          expect(c.iface).not.toBe('lo');
          for (const v of [c.rxBytes, c.rxErrors, c.rxDropped, c.txBytes, c.txErrors, c.txDropped]) expect(Number.isFinite(v)).toBe(true);
        }
      }),
      { numRuns: runs },
    );
  });
});
