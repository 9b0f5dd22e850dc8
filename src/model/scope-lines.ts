import type { Scope } from '../session/scope.js';
import type { Outcome } from './attribute-names.js';
import { formatSeconds } from './human-format.js';

/** What the human end lines need; both an ended Scope and a span's EndFacts give it. */
export interface EndLineFacts {
  kind: 'month' | 'stage';
  name: string;
  month: string | undefined;
  outcome: Outcome;
  durationS: number;
  rssEndMb: number;
  slow: boolean;
  thresholdS: number | undefined;
  errorType: string | undefined;
  errorMessage: string | undefined;
  reason: string | undefined;
}

/** What a scope's start says in the human log and on the console. */
export function startMessage(kind: 'month' | 'stage', name: string, month: string | undefined): string {
  return kind === 'month' ? `Starting month ${month}` : `Starting ${name}`;
}

/** The stage label of a line: the stage name, or `month YYYY-MM` for months. */
export function scopeLabel(kind: 'month' | 'stage', name: string, month: string | undefined): string {
  return kind === 'month' ? `month ${month}` : name;
}

export function scopeEndLineFacts(scope: Scope): EndLineFacts {
  return {
    kind: scope.kind,
    name: scope.name,
    month: scope.month,
    outcome: scope.outcome ?? 'success',
    durationS: scope.durationS,
    rssEndMb: scope.endRssBytes / (1024 * 1024),
    slow: scope.slow,
    thresholdS: scope.thresholdS,
    errorType: scope.error?.type,
    errorMessage: scope.error?.message,
    reason: scope.reason,
  };
}

/**
 * The seed's end lines: the outcome, a WARNING when slow, then `[TIMING]`
 * and `[MEMORY_TRACKING]`. Returned as [tag, message] pairs so the console
 * and the human log format them alike.
 */
export function endLines(f: EndLineFacts): [string, string][] {
  const label = scopeLabel(f.kind, f.name, f.month);
  const duration = formatSeconds(f.durationS);
  let outcome: [string, string];
  if (f.outcome === 'success') outcome = ['INFO', `${label} completed successfully`];
  else if (f.outcome === 'interrupted')
    outcome = ['ERROR', `${label} interrupted after ${duration} seconds${f.reason ? `: ${f.reason}` : ''}`];
  else outcome = ['ERROR', `${label} failed${f.errorType ? `: ${f.errorType}: ${f.errorMessage ?? ''}` : ''}`];
  const memoryKey = f.kind === 'month' ? `month_${f.month}` : f.name;
  const lines: [string, string][] = [outcome];
  if (f.slow) lines.push(['WARNING', `${label} took ${duration} seconds, over its ${f.thresholdS} second threshold`]);
  lines.push(['TIMING', `${label} completed in ${duration} seconds`], ['MEMORY_TRACKING', `${memoryKey}_end: ${f.rssEndMb.toFixed(1)} MB`]);
  return lines;
}
