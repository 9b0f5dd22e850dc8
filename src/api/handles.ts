import type { SpanContext } from '@opentelemetry/api';
import type { StageContext } from '../model/context-attributes.js';
import type { LogLevel } from '../model/levels.js';

/** Options for {@link StageHandle.end}. */
export interface EndOptions {
  /** Defaults to `true` unless `error` is given. */
  success?: boolean;
  /** More context, added to the span and the end record. */
  context?: StageContext;
  /** The failure; recorded on the span as an exception. */
  error?: unknown;
}

/** Options for {@link ScopeHandle.log}. */
export interface HandleLogOptions {
  level?: LogLevel | Lowercase<LogLevel>;
  context?: StageContext;
  error?: unknown;
}

/** What months and stages have in common: identity, context and logging. */
export interface ScopeHandle {
  /** `'month'` or `'stage'`. */
  readonly kind: 'month' | 'stage';
  /** The stage name, or `'month'` for a month. */
  readonly name: string;
  /** The month this scope belongs to (`YYYY-MM`), or undefined for a stage outside any month. */
  readonly month: string | undefined;
  /** The span's context: `traceId` leads to the trace in Jaeger. */
  readonly spanContext: SpanContext;
  /** True once the scope has ended. */
  readonly ended: boolean;
  /** Adds context (flattened to attributes by the documented rule) to the span and the end record. */
  addContext(context: StageContext): void;
  /** Logs a message against this scope, wherever the call happens. */
  log(message: string, options?: HandleLogOptions): void;
  /** Runs `fn` inside this scope's context, so spans and logs made inside belong to it. */
  run<T>(fn: () => T): T;
}

/** A stage: a child span of its month (or of its parent stage). */
export interface StageHandle extends ScopeHandle {
  readonly kind: 'stage';
  /**
   * Ends the stage. Ending twice is a no-op with a warning, so cleanup code
   * may call it without tracking state.
   */
  end(options?: EndOptions): void;
}

/** A month: the root span of its own trace. */
export interface MonthHandle extends ScopeHandle {
  readonly kind: 'month';
}
