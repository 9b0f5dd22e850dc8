/** `20251104_134205_a1b2c3`: sortable like the Python logger's ids, and unique across concurrent runs. */
export function newSessionId(now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}_${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  // Web Crypto's global, not node:crypto: the module loads only when an id is made, not when stagetrace is imported.
  const random = Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(3))).toString('hex');
  return `${stamp}_${random}`;
}
