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

/** The user's resource attributes, with `service.instance.id` = the session id unless they or the variable set it. */
export function resolveResourceAttributes(read: OptionReader, env: Env, sessionId: string): Attributes {
  const given = read.option('resourceAttributes')?.value ?? {};
  if (Object.hasOwn(given, SERVICE_INSTANCE_ID) || variableSets(env, SERVICE_INSTANCE_ID)) return given;
  return { ...given, [SERVICE_INSTANCE_ID]: sessionId };
}
