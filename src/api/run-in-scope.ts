import { context as contextApi } from '@opentelemetry/api';
import type { Scope } from '../session/scope.js';

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
export function runInScope<H, T>(scope: Scope, fn: (handle: H) => T): T {
  let result: T;
  try {
    result = contextApi.with(scope.ctx, fn, undefined, scope as unknown as H);
  } catch (error) {
    scope.finish('failure', error);
    throw error;
  }
  if (isPromiseLike(result)) {
    return Promise.resolve(result).then(
      (value) => {
        scope.finish('success');
        return value;
      },
      (error: unknown) => {
        scope.finish('failure', error);
        throw error;
      },
    ) as T;
  }
  scope.finish('success');
  return result;
}
