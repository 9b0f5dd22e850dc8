import type { Redactor } from './redaction.js';

/** An error reduced to what the audit trail keeps, already redacted. */
export interface ErrorInfo {
  type: string;
  message: string;
  stack: string | undefined;
  /** `cause` chain, outermost first. */
  causes: { type: string; message: string; stack: string | undefined }[];
}

/** Longest message kept; longer ones are cut as {@link Redactor.scrubText} cuts text. */
export const MAX_ERROR_MESSAGE_CHARS = 8192;
/** Longest stack frames part kept (after the `Name: message` line). */
export const MAX_ERROR_STACK_CHARS = 16_384;
/** Causes kept, outermost first. */
export const MAX_ERROR_CAUSES = 10;
const MAX_TYPE_CHARS = 256;

/** Reads a property; a getter or proxy trap that throws yields `undefined`. */
function read(target: unknown, key: PropertyKey): unknown {
  try {
    return (target as Record<PropertyKey, unknown>)[key];
  } catch {
    return undefined;
  }
}

/** `instanceof Error` that a revoked proxy or a trapping `getPrototypeOf` cannot turn into a throw. */
function isError(value: unknown): value is Error {
  try {
    return value instanceof Error;
  } catch {
    return false;
  }
}

function typeName(error: Error, redactor: Redactor): string {
  const name = read(error, 'name');
  if (typeof name === 'string' && name !== '') return redactor.scrubKey(name, MAX_TYPE_CHARS);
  const constructorName = read(read(error, 'constructor'), 'name');
  if (typeof constructorName === 'string' && constructorName !== '') return redactor.scrubKey(constructorName, MAX_TYPE_CHARS);
  return 'Error';
}

/**
 * The stack, redacted and bounded. V8 puts the whole message in the stack's
 * first line; when the message was cut, the line is rebuilt from the cut
 * message so that the frames after it are kept.
 */
function stackText(rawStack: unknown, rawMessage: unknown, message: string, redactor: Redactor): string | undefined {
  if (typeof rawStack !== 'string') return undefined;
  if (typeof rawMessage === 'string' && rawMessage.length > MAX_ERROR_MESSAGE_CHARS) {
    const colon = rawStack.indexOf(': ');
    if (colon !== -1 && colon < MAX_TYPE_CHARS && rawStack.startsWith(rawMessage, colon + 2)) {
      const head = redactor.scrubKey(rawStack.slice(0, colon), MAX_TYPE_CHARS);
      const frames = rawStack.slice(colon + 2 + rawMessage.length);
      return `${head}: ${message}${redactor.scrubText(frames, MAX_ERROR_STACK_CHARS)}`;
    }
  }
  return redactor.scrubText(rawStack, MAX_ERROR_MESSAGE_CHARS + MAX_ERROR_STACK_CHARS);
}

function one(error: unknown, redactor: Redactor): { type: string; message: string; stack: string | undefined } {
  if (isError(error)) {
    const rawMessage = read(error, 'message');
    const message =
      typeof rawMessage === 'string'
        ? redactor.scrubText(rawMessage, MAX_ERROR_MESSAGE_CHARS)
        : rawMessage === undefined
          ? ''
          : redactor.toText(rawMessage, MAX_ERROR_MESSAGE_CHARS);
    return { type: typeName(error, redactor), message, stack: stackText(read(error, 'stack'), rawMessage, message, redactor) };
  }
  return {
    type: error === null ? 'object' : typeof error === 'object' ? 'Object' : typeof error,
    // Plain objects as JSON with their secret keys redacted; strings scrubbed; nothing can throw.
    message: redactor.toText(error, MAX_ERROR_MESSAGE_CHARS),
    stack: undefined,
  };
}

/**
 * Never throws, whatever was thrown (strings, plain objects, proxies,
 * getters that throw, cyclic causes), and takes time bounded by the caps
 * above rather than by the size of what was thrown.
 */
export function toErrorInfo(error: unknown, redactor: Redactor): ErrorInfo {
  const head = one(error, redactor);
  const causes: ErrorInfo['causes'] = [];
  const seen = new Set<unknown>([error]);
  let cause = isError(error) ? read(error, 'cause') : undefined;
  while (cause !== undefined && !seen.has(cause) && causes.length < MAX_ERROR_CAUSES) {
    seen.add(cause);
    causes.push(one(cause, redactor));
    cause = isError(cause) ? read(cause, 'cause') : undefined;
  }
  return { ...head, causes };
}

/**
 * The stack with each cause appended as `Caused by: ...`, as Java prints it:
 * span exception events have one stacktrace field, and the cause is often
 * the part that explains the failure.
 */
export function stackWithCauses(info: ErrorInfo): string {
  let text = info.stack ?? `${info.type}: ${info.message}`;
  for (const cause of info.causes) text += `\nCaused by: ${cause.stack ?? `${cause.type}: ${cause.message}`}`;
  return text;
}
