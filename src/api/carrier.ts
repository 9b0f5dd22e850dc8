import { context as contextApi } from '@opentelemetry/api';
import type { Carrier } from '../model/carrier.js';
import { currentSession } from '../setup/current-session.js';

/**
 * The W3C trace context of the active month or stage as a plain, JSON-safe
 * object — `{ traceparent, tracestate?, baggage? }` — to put in job data, a
 * message or headers. Outside any month or stage it is the carrier this
 * process was started with (`TRACEPARENT`…), if any, else `undefined`. Its
 * baggage carries the run id (`stagetrace.run.id`) and the month
 * (`stagetrace.month`). Pass it as the `parent` option of `traceStage`,
 * `startStage` or `traceMonth` wherever the work continues.
 *
 * @example
 * await queue.add('parse', { file, carrier: getCarrier() });
 * // in the worker:
 * await traceStage('parse', () => parse(job.data.file), { parent: job.data.carrier });
 */
export function getCarrier(): Carrier | undefined {
  return currentSession().carrier(contextApi.active());
}

/**
 * The same carrier as environment variables for a child process:
 * `TRACEPARENT`, `TRACESTATE` and `BAGGAGE` (OpenTelemetry's environment
 * carrier) and `STAGETRACE_RUN_ID`. All four are always there — empty when
 * there is no such value, which `start()` reads as none — so that spread
 * over `process.env` they replace what this process itself was started with.
 * In a child that calls `start()`, stages outside any month become children
 * of the active scope here, and months link to it.
 *
 * @example
 * spawn(process.execPath, ['heavy-stage.js'], { env: { ...process.env, ...carrierEnv() } });
 */
export function carrierEnv(): Record<string, string> {
  const session = currentSession();
  const carrier = session.carrier(contextApi.active());
  return {
    TRACEPARENT: carrier?.traceparent ?? '',
    TRACESTATE: carrier?.tracestate ?? '',
    BAGGAGE: carrier?.baggage ?? '',
    STAGETRACE_RUN_ID: session.runId,
  };
}
