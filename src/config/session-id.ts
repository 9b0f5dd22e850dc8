import { randomBytes } from 'node:crypto';

/** `20251104_134205_a1b2c3`: sortable like the Python logger's ids, and unique across concurrent runs. */
export function newSessionId(now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}_${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  return `${stamp}_${randomBytes(3).toString('hex')}`;
}
