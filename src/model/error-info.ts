import type { Redactor } from './redaction.js';

/** An error reduced to what the audit trail keeps, already redacted. */
export interface ErrorInfo {
  type: string;
  message: string;
  stack: string | undefined;
  /** `cause` chain, outermost first. */
  causes: { type: string; message: string; stack: string | undefined }[];
}

function one(error: unknown, redactor: Redactor): { type: string; message: string; stack: string | undefined } {
  if (error instanceof Error) {
    return {
      type: error.name || error.constructor?.name || 'Error',
      message: redactor.scrubText(String(error.message)),
      stack: error.stack === undefined ? undefined : redactor.scrubText(String(error.stack)),
    };
  }
  let message: string;
  try {
    message = typeof error === 'string' ? error : (JSON.stringify(error) ?? String(error));
  } catch {
    message = String(error);
  }
  return {
    type: typeof error === 'object' && error !== null ? 'Object' : typeof error,
    message: redactor.scrubText(message),
    stack: undefined,
  };
}

/** Never throws, whatever was thrown (strings, objects, cyclic causes). */
export function toErrorInfo(error: unknown, redactor: Redactor): ErrorInfo {
  const head = one(error, redactor);
  const causes: ErrorInfo['causes'] = [];
  const seen = new Set<unknown>([error]);
  let cause = error instanceof Error ? (error as { cause?: unknown }).cause : undefined;
  while (cause !== undefined && !seen.has(cause) && causes.length < 10) {
    seen.add(cause);
    causes.push(one(cause, redactor));
    cause = cause instanceof Error ? (cause as { cause?: unknown }).cause : undefined;
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
