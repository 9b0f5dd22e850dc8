import type { Instrumentation } from '@opentelemetry/instrumentation';
import { DeferredInstrumentation } from './deferred-instrumentation.js';
import { NetworkInstrumentation } from './network-instrumentation.js';

/** The `hostMetrics` group that selects the Node.js runtime metrics (event loop, GC, heap spaces). */
export const NODEJS_RUNTIME_GROUP = 'nodejs.runtime';

/** The `hostMetrics` group stagetrace reads itself, from `/proc/net/dev` (see {@link NetworkInstrumentation}). */
export const SYSTEM_NETWORK_GROUP = 'system.network';

/**
 * Host metrics for the selected host groups, and the Node.js runtime
 * instrumentation when `nodejs.runtime` is among them. The runtime
 * instrumentation reports event-loop delay (`nodejs.eventloop.delay.*`),
 * utilisation, GC durations and per-space heap sizes: a stage that blocks
 * the event loop shows up there. The `system.network` group is read by
 * stagetrace itself: the host-metrics instrumentation's own would spawn a
 * process synchronously at every collection.
 */
export function createHostAndRuntimeInstrumentations(groups: readonly string[]): Instrumentation[] {
  const instrumentations: Instrumentation[] = [];
  const hostGroups = groups.filter((group) => group !== NODEJS_RUNTIME_GROUP && group !== SYSTEM_NETWORK_GROUP);
  if (hostGroups.length > 0) {
    instrumentations.push(
      new DeferredInstrumentation('@opentelemetry/instrumentation-host-metrics', '', async () => {
        const { HostMetricsInstrumentation } = await import('@opentelemetry/instrumentation-host-metrics');
        return new HostMetricsInstrumentation({ metricGroups: hostGroups });
      }),
    );
  }
  if (groups.includes(SYSTEM_NETWORK_GROUP)) instrumentations.push(new NetworkInstrumentation());
  if (groups.includes(NODEJS_RUNTIME_GROUP)) {
    instrumentations.push(
      new DeferredInstrumentation('@opentelemetry/instrumentation-runtime-node', '', async () => {
        const { RuntimeNodeInstrumentation } = await import('@opentelemetry/instrumentation-runtime-node');
        return new RuntimeNodeInstrumentation();
      }),
    );
  }
  return instrumentations;
}
