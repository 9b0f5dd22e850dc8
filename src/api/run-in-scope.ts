import { context as contextApi } from '@opentelemetry/api';
import type { OpenScope } from '../session/open-scope.js';
import type { Session } from '../session/session.js';

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * Runs `fn(handle)` inside `scope` and ends the scope with fn's outcome.
 * A sync fn gives a sync result (no Promise wrapping); an async one gives a
 * Promise of the same value. Errors are rethrown unchanged.
 */
export function runInScope<H, T>(session: Session, scope: OpenScope, handle: H, fn: (handle: H) => T): T {
  let result: T;
  try {
    result = contextApi.with(scope.ctx, fn, undefined, handle);
  } catch (error) {
    session.endScope(scope, 'failure', error);
    throw error;
  }
  if (isPromiseLike(result)) {
    return Promise.resolve(result).then(
      (value) => {
        session.endScope(scope, 'success');
        return value;
      },
      (error: unknown) => {
        session.endScope(scope, 'failure', error);
        throw error;
      },
    ) as T;
  }
  session.endScope(scope, 'success');
  return result;
}
