import { readCarrier } from '../model/carrier.js';
import type { Env } from './option-reader.js';
import type { ResolvedRun } from './options.js';

/**
 * The run this process belongs to and the environment carrier it was started
 * with (OpenTelemetry's `TRACEPARENT`, `TRACESTATE`, `BAGGAGE`). A malformed
 * carrier never fails `start()`: it is ignored and said once.
 */
export function resolveRun(runIdOption: string | undefined, env: Env, sessionId: string): ResolvedRun {
  const fields: Record<string, string> = {};
  if (env.TRACEPARENT !== undefined) fields.traceparent = env.TRACEPARENT;
  if (env.TRACESTATE !== undefined) fields.tracestate = env.TRACESTATE;
  if (env.BAGGAGE !== undefined) fields.baggage = env.BAGGAGE;
  const reading = env.TRACEPARENT === undefined || env.TRACEPARENT === '' ? {} : readCarrier(fields, 'TRACEPARENT');
  return {
    runId: runIdOption ?? reading.parent?.runId ?? sessionId,
    envParent: reading.parent,
    envProblem: reading.problem,
  };
}
