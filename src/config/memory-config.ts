import type { ValueSource } from './config-error.js';
import type { OptionReader } from './option-reader.js';
import type { ResolvedConfig } from './options.js';

function said(value: number, source: ValueSource): string {
  return source.variable ? `${value}, from ${source.variable}` : String(value);
}

/** The memory observer's period and thresholds; a critical level must lie above the warning level. */
export function resolveMemory(read: OptionReader): ResolvedConfig['memory'] {
  const warning = read.given('memory.warningMb');
  const critical = read.given('memory.criticalMb');
  if (warning && critical && critical.value <= warning.value) {
    throw new RangeError(
      `stagetrace: memory.criticalMb (${said(critical.value, critical.source)}) must be greater than ` +
        `memory.warningMb (${said(warning.value, warning.source)}). Raise criticalMb or lower warningMb.`,
    );
  }
  return { intervalMs: read.value('memory.intervalMs'), warningMb: warning?.value, criticalMb: critical?.value };
}
