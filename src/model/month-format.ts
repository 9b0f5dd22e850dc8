import { describeValue } from './describe-value.js';

const MONTH_PATTERN = /^(\d{4})-(0[1-9]|1[0-2])$/;

/**
 * Normalises a month to `YYYY-MM`. Strings must already be in that form;
 * Dates are read in UTC (as `new Date('2024-01-01')` is parsed), so the
 * month does not shift with the machine's time zone.
 */
export function toMonthString(month: unknown): string {
  if (typeof month === 'string') {
    if (MONTH_PATTERN.test(month)) return month;
  } else if (month instanceof Date && !Number.isNaN(month.getTime())) {
    const year = month.getUTCFullYear();
    if (year >= 0 && year <= 9999) {
      return `${String(year).padStart(4, '0')}-${String(month.getUTCMonth() + 1).padStart(2, '0')}`;
    }
  }
  throw new TypeError(
    `stagetrace: traceMonth(month) expects a 'YYYY-MM' string with a month from 01 to 12, or a valid Date; got ${describeValue(month)}.`,
  );
}
