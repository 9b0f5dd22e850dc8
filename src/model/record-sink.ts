import type { Attributes } from '@opentelemetry/api';
import type { Scope } from '../session/scope.js';
import type { ErrorInfo } from './error-info.js';
import type { LogLevel } from './levels.js';

/** A log message as the sinks receive it: already filtered, redacted and timestamped. */
export interface MessageEntry {
  atMs: number;
  level: LogLevel;
  message: string;
  /** The month or stage the message belongs to, if any. */
  scope: Scope | undefined;
  /** A stage name given with the message when no open stage of that name exists. */
  label?: string | undefined;
  /** Caller context as flattened attributes, keys under `stagetrace.context.`. */
  context: Attributes | undefined;
  error: ErrorInfo | undefined;
}

/**
 * Where progress goes as it happens: the console and the audit files. Calls
 * are synchronous and must not throw; a sink that does I/O buffers it.
 */
export interface ProgressSink {
  scopeStarted(scope: Scope): void;
  scopeEnded(scope: Scope): void;
  message(entry: MessageEntry): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}
