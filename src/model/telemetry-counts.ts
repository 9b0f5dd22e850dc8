/** Counts of what went wrong with the telemetry itself, as the session summary reports them. */
export interface TelemetryCounts {
  /** Failed writes to the audit files (each retried; see lost records). */
  auditWriteErrors: number;
  /** Audit records given up after the disk refused them. */
  auditLostRecords: number;
  /** Spans that never reached the OTLP endpoint. */
  otlpDroppedSpans: number;
  /** Messages whose log records never reached the OTLP logs endpoint (they stay in the audit files for replay). */
  otlpDroppedLogRecords: number;
  /** OTLP exports that failed or timed out. */
  otlpExportErrors: number;
  /** Webhook alerts that could not be posted. */
  alertFailures: number;
  /** Faults inside stagetrace, caught before they reached the pipeline. */
  internalErrors: number;
}

/** The counts the session's last record carries, so a report rebuilt from the files has them: all but internal faults. */
export type RecordedTelemetryCounts = Omit<TelemetryCounts, 'internalErrors'>;

/** A session without telemetry problems (and what a session whose end record is missing is read as). */
export const NO_TELEMETRY_PROBLEMS: Readonly<RecordedTelemetryCounts> = Object.freeze({
  auditWriteErrors: 0,
  auditLostRecords: 0,
  otlpDroppedSpans: 0,
  otlpDroppedLogRecords: 0,
  otlpExportErrors: 0,
  alertFailures: 0,
});
