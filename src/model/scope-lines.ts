import { formatSeconds, formatTenths } from './human-format.js';
import type { ScopeEndRecord, ScopeRef } from './records.js';
import { BYTES_PER_MB } from './units.js';

/** What a scope's start says in the human log and on the console. */
export function startMessage(scope: Pick<ScopeRef, 'kind' | 'name' | 'month'>): string {
  return scope.kind === 'month' ? `Starting month ${scope.month}` : `Starting ${scope.name}`;
}

/** The Python logger's key of a scope's memory line: the stage name, or `month_YYYY-MM`. */
export function memoryKey(scope: Pick<ScopeRef, 'kind' | 'name' | 'month'>): string {
  return scope.kind === 'month' ? `month_${scope.month}` : scope.name;
}

/**
 * The Python logger's end lines: the outcome, a WARNING when slow, then `[TIMING]`
 * and `[MEMORY_TRACKING]`. Returned as [tag, message] pairs so the console
 * and the human log format them alike.
 */
export function endLines(r: ScopeEndRecord, label: string): [string, string][] {
  const duration = formatSeconds(r.durationS);
  let outcome: [string, string];
  if (r.outcome === 'success') outcome = ['INFO', `${label} completed successfully`];
  else if (r.outcome === 'interrupted')
    outcome = ['ERROR', `${label} interrupted after ${duration} seconds${r.reason ? `: ${r.reason}` : ''}`];
  else outcome = ['ERROR', `${label} failed${r.error ? `: ${r.error.type}: ${r.error.message}` : ''}`];
  const lines: [string, string][] = [outcome];
  if (r.slow) lines.push(['WARNING', `${label} took ${duration} seconds, over its ${r.thresholdS} second threshold`]);
  lines.push(
    ['TIMING', `${label} completed in ${duration} seconds`],
    ['MEMORY_TRACKING', `${memoryKey(r.scope)}_end: ${formatTenths(r.rssEndBytes / BYTES_PER_MB)} MB`],
  );
  return lines;
}
