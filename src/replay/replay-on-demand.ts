import type * as ReplayAuditLog from './replay-audit-log.js';

/**
 * Sends the spans of a log folder that the collector never acknowledged;
 * see {@link ReplayAuditLog.replayAuditLog}. Its module (the OTLP exporter
 * setup, the replay planner, the file readers) loads on the first call, not
 * when stagetrace is imported.
 */
export const replayAuditLog: typeof ReplayAuditLog.replayAuditLog = async (dir, options) =>
  (await import('./replay-audit-log.js')).replayAuditLog(dir, options);
