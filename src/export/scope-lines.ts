import type { Scope } from '../api/scope.js';
import { formatSeconds } from './human-format.js';

const MB = 1024 * 1024;

/** What a scope's start says in the human log and on the console. */
export function startMessage(scope: Scope): string {
  return scope.kind === 'month' ? `Starting month ${scope.month}` : `Starting ${scope.name}`;
}

/** The stage label of a line: the stage name, or `month YYYY-MM` for months. */
export function scopeLabel(scope: Scope): string {
  return scope.kind === 'month' ? `month ${scope.month}` : scope.name;
}

/**
 * The seed's end lines: the outcome, then `[TIMING]` and `[MEMORY_TRACKING]`.
 * Returned as [tag, message] pairs so console and file format them alike.
 */
export function endLines(scope: Scope): [string, string][] {
  const label = scope.kind === 'month' ? `month ${scope.month}` : scope.name;
  const duration = formatSeconds(scope.durationS);
  let outcome: [string, string];
  if (scope.outcome === 'success') outcome = ['INFO', `${label} completed successfully`];
  else if (scope.outcome === 'interrupted')
    outcome = ['ERROR', `${label} interrupted after ${duration} seconds${scope.reason ? `: ${scope.reason}` : ''}`];
  else outcome = ['ERROR', `${label} failed${scope.error ? `: ${scope.error.type}: ${scope.error.message}` : ''}`];
  const lines: [string, string][] = [
    outcome,
    ['TIMING', `${label} completed in ${duration} seconds`],
    ['MEMORY_TRACKING', `${scope.name === 'month' && scope.kind === 'month' ? `month_${scope.month}` : scope.name}_end: ${(scope.endRssBytes / MB).toFixed(1)} MB`],
  ];
  if (scope.slow) {
    lines.splice(1, 0, ['WARNING', `${label} took ${duration} seconds, over its ${scope.thresholdS} second threshold`]);
  }
  return lines;
}
