/**
 * The values of `ExportResultCode` of `@opentelemetry/core` (a stable enum
 * of the exporter interface), here so that the span forward and replay do
 * not load core when stagetrace is imported.
 */
export const EXPORT_SUCCESS = 0;
export const EXPORT_FAILED = 1;
