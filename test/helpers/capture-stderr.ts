/**
 * Collects what is written to process.stderr while active, without printing
 * it. The console sink writes there, so tests can read its exact lines.
 */
export interface StderrCapture {
  /** Everything written since capture started. */
  text(): string;
  /** Complete lines written since capture started. */
  lines(): string[];
  restore(): void;
}

export function captureStderr(): StderrCapture {
  const original = process.stderr.write;
  const chunks: string[] = [];
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  }) as typeof process.stderr.write;
  return {
    text: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line !== ''),
    restore() {
      process.stderr.write = original;
    },
  };
}
