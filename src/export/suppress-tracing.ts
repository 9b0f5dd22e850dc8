import { type Context, createContextKey } from '@opentelemetry/api';

/**
 * The key of `suppressTracing()` of `@opentelemetry/core`. The api makes
 * context keys with `Symbol.for(description)`, so this is the very key the
 * SDK and the instrumentations check, without loading core at import.
 */
const SUPPRESS_TRACING_KEY = createContextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING');

/** `context` in which the SDK records no span: an exporter's own HTTP request must not become a span of the pipeline. */
export function suppressTracing(context: Context): Context {
  return context.setValue(SUPPRESS_TRACING_KEY, true);
}
