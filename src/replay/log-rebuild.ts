import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, type LogRecordProcessor, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { VERSION } from '../model/version.js';
import { logRecordOf } from '../sinks/log-record-sink.js';
import type { PlannedSession } from './planned-span.js';
import { resourceOf } from './span-rebuild.js';

/**
 * Rebuilds a session's planned messages as the log records the run emitted,
 * through the SDK itself (a private LoggerProvider, nothing registered
 * globally) and the live mapping of a message to a log record: the same
 * body, severity, time, trace and span ids, attributes, exception fields,
 * resource and scope, and the same limits.
 */
export async function rebuildLogRecords(session: PlannedSession): Promise<ReadableLogRecord[]> {
  const emitted: ReadableLogRecord[] = [];
  const collect: LogRecordProcessor = {
    onEmit: (record) => {
      emitted.push(record as unknown as ReadableLogRecord);
    },
    forceFlush: async () => undefined,
    shutdown: async () => undefined,
  };
  const delivery = session.delivery;
  const provider = new LoggerProvider({ resource: resourceFromAttributes(resourceOf(delivery, session.sessionId)), processors: [collect] });
  const logger = provider.getLogger(delivery?.scope_name ?? 'stagetrace', delivery?.scope_version ?? VERSION);
  for (const message of session.messages) logger.emit(logRecordOf(message, session.sessionId));
  await provider.shutdown();
  return emitted;
}
