import { context as contextApi, type SpanContext } from '@opentelemetry/api';
import type { StageContext } from '../model/context-attributes.js';
import { describeValue } from '../model/describe-value.js';
import { LEVEL_RANK, type LogLevel, parseLevel } from '../model/levels.js';
import type { OpenScope } from '../session/open-scope.js';
import type { Session } from '../session/session.js';

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
  /**
   * Reports how far the stage got, e.g. rows done of rows total: the
   * progress line shows a bar and an ETA, and the span gets an event at each
   * tenth. Cheap enough to call per row.
   */
  progress(done: number, total?: number): void;
}

/** A month: the root span of its own trace. */
export interface MonthHandle extends ScopeHandle {
  readonly kind: 'month';
}

/** The level of a log call; the common spellings without a parse. */
export function levelOf(level: unknown, option: string): LogLevel {
  if (level === undefined) return 'INFO';
  // Own keys only: `in` would accept 'toString' and other prototype names.
  if (typeof level === 'string' && Object.hasOwn(LEVEL_RANK, level)) return level as LogLevel;
  return parseLevel(level, option);
}

/** Options objects are checked for typos: an unknown key is a mistake worth saying. */
export function checkKeys(options: unknown, known: readonly string[], where: string): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`stagetrace: ${where} options must be an object; got ${describeValue(options)}.`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new TypeError(`stagetrace: ${where} has no option ${JSON.stringify(key)}; the options are ${known.join(', ')}.`);
    }
  }
}

const LOG_KEYS = ['level', 'context', 'error'] as const;
const END_KEYS = ['success', 'context', 'error'] as const;

function logTo(session: Session, scope: OpenScope, message: unknown, options: HandleLogOptions | undefined): void {
  checkKeys(options, LOG_KEYS, 'log()');
  const level = levelOf(options?.level, 'log() option level');
  session.log({ scope, level, message, context: options?.context, error: options?.error });
}

/**
 * What month and stage handles share. State lives in private fields:
 * nothing reachable from a handle (inspect, JSON, keys) shows the session,
 * its options or the span behind it.
 */
abstract class ScopeHandleImpl {
  readonly #session: Session;
  readonly #scope: OpenScope;

  constructor(session: Session, scope: OpenScope) {
    this.#session = session;
    this.#scope = scope;
  }

  abstract get kind(): 'month' | 'stage';
  get name(): string {
    return this.#scope.ref.name;
  }
  get month(): string | undefined {
    return this.#scope.ref.month;
  }
  get spanContext(): SpanContext {
    return this.#scope.span.spanContext();
  }
  get ended(): boolean {
    return this.#scope.ended;
  }
  addContext(context: StageContext): void {
    this.#session.addContext(this.#scope, context);
  }
  log(message: string, options?: HandleLogOptions): void {
    logTo(this.#session, this.#scope, message, options);
  }
  run<T>(fn: () => T): T {
    return contextApi.with(this.#scope.ctx, fn);
  }
  toJSON(): object {
    return this.kind === 'month' ? { kind: 'month', month: this.month } : { kind: 'stage', name: this.name, month: this.month };
  }
}

/** The handle of a month. */
export class MonthHandleImpl extends ScopeHandleImpl implements MonthHandle {
  get kind(): 'month' {
    return 'month';
  }
}

/** The handle of a stage: a month's handle plus `end()`. */
export class StageHandleImpl extends ScopeHandleImpl implements StageHandle {
  // The base class's fields are private to it; ending needs the same two.
  readonly #session: Session;
  readonly #scope: OpenScope;

  constructor(session: Session, scope: OpenScope) {
    super(session, scope);
    this.#session = session;
    this.#scope = scope;
  }

  get kind(): 'stage' {
    return 'stage';
  }
  progress(done: number, total?: number): void {
    if (
      typeof done !== 'number' ||
      !Number.isFinite(done) ||
      done < 0 ||
      (total !== undefined && (typeof total !== 'number' || !Number.isFinite(total) || total < 0))
    ) {
      throw new TypeError(
        `stagetrace: progress(done, total) expects finite numbers of at least 0, such as progress(120, 1000); got ${describeValue(done)}, ${describeValue(total)}.`,
      );
    }
    this.#session.progress(this.#scope, done, total);
  }
  end(options?: EndOptions): void {
    const scope = this.#scope;
    if (scope.ended) {
      this.#session.usageWarning(`end-twice:${scope.ref.name}`, `stage "${scope.ref.name}" was ended twice; the second end() is ignored.`);
      return;
    }
    checkKeys(options, END_KEYS, 'end()');
    if (options?.context !== undefined) this.#session.addContext(scope, options.context);
    const failed = options?.error !== undefined || options?.success === false;
    this.#session.endScope(scope, failed ? 'failure' : 'success', options?.error);
  }
}
