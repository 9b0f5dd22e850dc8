import { readErrorDetails } from './error-details.js';
import { renderHtmlReport } from './html-report.js';
import { TimelineCollector } from './session-timeline.js';
import { type SummarizeAuditLogOptions, summarizeAuditLog } from './summarize-audit-log.js';

export interface HtmlReportOptions extends SummarizeAuditLogOptions {
  /** Jaeger's base URL, as `jaegerUrlOf` checked it: trace ids become links to it. */
  jaegerUrl?: string;
}

/** The HTML report of a session, from the audit files alone (see {@link renderHtmlReport}). */
export async function htmlReportFromFiles(dir: string, options: HtmlReportOptions = {}): Promise<string> {
  const timeline = new TimelineCollector();
  const summary = await summarizeAuditLog(dir, {
    ...options,
    onRecord: (record) => {
      timeline.onRecord(record);
      options.onRecord?.(record);
    },
  });
  const { errors, more } = await readErrorDetails(dir, summary.session_id);
  return renderHtmlReport({ summary, timeline: timeline.result(), errors, moreErrors: more, jaegerUrl: options.jaegerUrl });
}
