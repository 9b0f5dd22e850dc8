import type { Attributes, AttributeValue } from '@opentelemetry/api';
import { DEFAULT_FLATTEN_LIMITS } from '../model/context-attributes.js';
import { MAX_ERROR_CAUSES, MAX_ERROR_MESSAGE_CHARS, MAX_ERROR_STACK_CHARS } from '../model/error-info.js';
import type { MessageRecord } from '../model/records.js';
import { MAX_SCRUB_CHARS, truncationMarker } from '../model/redaction.js';
import type { PlannedError, PlannedEvent, PlannedSpan } from './planned-span.js';

/**
 * The size limits a live run applies, applied again to what replay read
 * from the files: the files may have been edited (or written by anything),
 * and an 8 MB attribute must not reach a collector from replay when the
 * run itself would have cut it. Context values are cut at 4,096 characters
 * and `…`, at most 100 per context, like `flattenContext`; messages, names
 * and reasons at 65,536 with the truncation marker, like the redactor;
 * error messages and stacks at the bounds of `toErrorInfo`. Values an
 * attribute cannot hold (objects, mixed arrays) are left out.
 */

const { maxStringLength, maxAttributes } = DEFAULT_FLATTEN_LIMITS;
const MAX_TYPE_CHARS = 256;
/** A stack with its causes, as the exception event has it. */
const MAX_STACK_WITH_CAUSES_CHARS = (MAX_ERROR_MESSAGE_CHARS + MAX_ERROR_STACK_CHARS) * (MAX_ERROR_CAUSES + 1);

/** Text cut as the redactor cuts it: never half a surrogate pair, with how long it was. */
export function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return text.slice(0, end) + truncationMarker(text.length);
}

function cutValue(text: string): string {
  return text.length > maxStringLength ? `${text.slice(0, maxStringLength)}…` : text;
}

function limitValue(value: unknown): AttributeValue | undefined {
  switch (typeof value) {
    case 'string':
      return cutValue(value);
    case 'number':
      return Number.isFinite(value) ? value : undefined;
    case 'boolean':
      return value;
  }
  if (!Array.isArray(value) || value.length > maxStringLength) return undefined;
  const kind = typeof value[0];
  if (
    !value.every(
      (item) => typeof item === kind && (kind === 'string' || kind === 'boolean' || (kind === 'number' && Number.isFinite(item))),
    )
  ) {
    return value.length === 0 ? [] : undefined;
  }
  return kind === 'string' ? (value as string[]).map(cutValue) : (value as AttributeValue);
}

/** A context (attributes under `stagetrace.context.`) within the live limits. */
export function limitContext(context: Attributes): Attributes {
  const out: Attributes = {};
  let count = 0;
  for (const key in context) {
    if (count >= maxAttributes) break;
    const value = limitValue(context[key]);
    if (value === undefined) continue;
    out[key.length > maxStringLength ? `${key.slice(0, maxStringLength)}…` : key] = value;
    count++;
  }
  return out;
}

function limitError(error: PlannedError | undefined): PlannedError | undefined {
  if (error === undefined) return undefined;
  return {
    type: cutText(String(error.type), MAX_TYPE_CHARS),
    message: cutText(String(error.message), MAX_ERROR_MESSAGE_CHARS),
    stack: cutText(String(error.stack), MAX_STACK_WITH_CAUSES_CHARS),
  };
}

function limitEvent(event: PlannedEvent): PlannedEvent {
  if (event.kind === 'memory') return event;
  return {
    ...event,
    level: cutText(String(event.level), MAX_TYPE_CHARS),
    message: cutText(String(event.message), MAX_SCRUB_CHARS),
    context: limitContext(event.context),
    error: limitError(event.error),
  };
}

/** `span` with every name, attribute, event and message within the limits a live run applies. */
export function withLiveLimits(span: PlannedSpan): PlannedSpan {
  const end = span.end;
  return {
    ...span,
    name: cutText(String(span.name), MAX_SCRUB_CHARS),
    month: span.month === undefined ? undefined : cutText(String(span.month), MAX_SCRUB_CHARS),
    startContext: limitContext(span.startContext),
    events: span.events.map(limitEvent),
    end:
      end === undefined
        ? undefined
        : {
            ...end,
            reason: end.reason === undefined || end.reason === null ? end.reason : cutText(String(end.reason), MAX_SCRUB_CHARS),
            context: limitContext(end.context),
            exception: limitError(end.exception),
            error:
              end.error === undefined
                ? undefined
                : {
                    ...end.error,
                    type: cutText(String(end.error.type), MAX_TYPE_CHARS),
                    message: cutText(String(end.error.message), MAX_ERROR_MESSAGE_CHARS),
                  },
          },
  };
}

/** A message record rebuilt from a file line, with its text, names, context and error within the limits a live run applies. */
export function messageWithinLiveLimits(m: MessageRecord): MessageRecord {
  const scope = m.scope;
  const error = limitError(
    m.error === undefined ? undefined : { type: m.error.type, message: m.error.message, stack: m.error.stack ?? '' },
  );
  return {
    ...m,
    message: cutText(String(m.message), MAX_SCRUB_CHARS),
    label: m.label === undefined ? undefined : cutText(String(m.label), MAX_SCRUB_CHARS),
    scope:
      scope === undefined
        ? undefined
        : {
            ...scope,
            name: cutText(String(scope.name), MAX_SCRUB_CHARS),
            month: scope.month === undefined ? undefined : cutText(String(scope.month), MAX_SCRUB_CHARS),
          },
    context: m.context === undefined ? undefined : limitContext(m.context),
    error:
      error === undefined || m.error === undefined
        ? undefined
        : { ...error, stack: m.error.stack === undefined ? undefined : error.stack, causes: [] },
  };
}
