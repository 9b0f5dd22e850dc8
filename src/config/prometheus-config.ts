import type { OptionReader } from './option-reader.js';
import type { ResolvedConfig } from './options.js';

/** The scrape endpoint: on when `prometheus` (even `{}`) or one of its variables is given. */
export function resolvePrometheus(read: OptionReader): ResolvedConfig['prometheus'] {
  const port = read.given('prometheus.port');
  const host = read.given('prometheus.host');
  if (!read.hasGroup('prometheus') && port === undefined && host === undefined) return undefined;
  return { port: port?.value ?? read.value('prometheus.port'), host: host?.value ?? read.value('prometheus.host') };
}
