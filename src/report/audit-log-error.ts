/** What went wrong reading a log folder; `message` is one line meant for people. */
export class AuditLogError extends Error {
  constructor(
    readonly kind: 'missing-folder' | 'no-records' | 'unknown-session' | 'newer-schema' | 'unreadable',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AuditLogError';
  }
}
