import type { Attributes } from '@opentelemetry/api';
import type { Env, OptionReader } from './option-reader.js';

/** Prometheus turns it into the `instance` label: one per run, so two runs never overwrite each other's series. */
export const SERVICE_INSTANCE_ID = 'service.instance.id';

/** True when `OTEL_RESOURCE_ATTRIBUTES` (`key=value,…`) sets `key`. */
function variableSets(env: Env, key: string): boolean {
  const text = env.OTEL_RESOURCE_ATTRIBUTES;
  if (!text) return false;
  return text.split(',').some((pair) => {
    const eq = pair.indexOf('=');
    return eq !== -1 && pair.slice(0, eq).trim() === key;
  });
}

/** The run id on the resource, so a dashboard can pick a run and see every process of it. */
export const RUN_ID = 'stagetrace.run.id';

/**
 * The user's resource attributes, with `service.instance.id` = the session id
 * and `stagetrace.run.id` = the run id, each unless they or the variable set it.
 */
export function resolveResourceAttributes(read: OptionReader, env: Env, ids: { sessionId: string; runId: string }): Attributes {
  const out = { ...(read.option('resourceAttributes')?.value ?? {}) };
  if (!Object.hasOwn(out, SERVICE_INSTANCE_ID) && !variableSets(env, SERVICE_INSTANCE_ID)) out[SERVICE_INSTANCE_ID] = ids.sessionId;
  if (!Object.hasOwn(out, RUN_ID) && !variableSets(env, RUN_ID)) out[RUN_ID] = ids.runId;
  return out;
}
