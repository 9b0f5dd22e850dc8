import type * as ListSessions from './list-sessions.js';
import type * as ReadAuditLog from './read-audit-log.js';
import type * as SummarizeAuditLog from './summarize-audit-log.js';

// The audit-log readers as the package exports them: each loads its module
// on its first call. They pull in node:fs/promises and Node's streams, which
// a pipeline that only records never needs, so `import('stagetrace')` does
// not pay for them.

/** Reads a log folder's records one by one; see {@link ReadAuditLog.readAuditLog}. */
export const readAuditLog: typeof ReadAuditLog.readAuditLog = async function* (dir, options) {
  yield* (await import('./read-audit-log.js')).readAuditLog(dir, options);
} as typeof ReadAuditLog.readAuditLog;

/** Summarizes one session of a log folder; see {@link SummarizeAuditLog.summarizeAuditLog}. */
export const summarizeAuditLog: typeof SummarizeAuditLog.summarizeAuditLog = async (dir, options) =>
  (await import('./summarize-audit-log.js')).summarizeAuditLog(dir, options);

/** The sessions in a log folder, in the order they first appear; see {@link ListSessions.listSessions}. */
export const listSessions: typeof ListSessions.listSessions = async (dir, options) =>
  (await import('./list-sessions.js')).listSessions(dir, options);
