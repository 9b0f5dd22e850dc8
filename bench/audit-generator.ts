/**
 * Writes audit files of a given size for the report benchmarks: one session
 * of months and stages with messages between them, line for line in the
 * shape the session writes (structured_processing.jsonl and
 * performance_metrics.jsonl). Generated in a temp folder, never committed.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const STAGES = ['download', 'process', 'validate', 'upload'];
/** Ten years of months, as a long backfill would run; the size comes from the executions per month. */
const MONTHS = 120;
/** Bytes one stage execution writes to both files, about. */
const BYTES_PER_EXECUTION = 1650;

export function generateAuditFiles(
  dir: string,
  targetBytes: number,
  sessionId = '20250106_090000_bench1',
): { bytes: number; lines: number } {
  const structured = openSync(join(dir, 'structured_processing.jsonl'), 'w');
  const performance = openSync(join(dir, 'performance_metrics.jsonl'), 'w');
  let s = '';
  let p = '';
  let bytes = 0;
  let lines = 0;
  let t = Date.UTC(2025, 0, 6, 9);
  let seed = 42;
  const random = () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
  const flush = (force: boolean) => {
    if (!force && s.length + p.length < 8 * 1024 * 1024) return;
    bytes += Buffer.byteLength(s) + Buffer.byteLength(p);
    writeSync(structured, s);
    writeSync(performance, p);
    s = '';
    p = '';
  };
  const iso = (ms: number) => new Date(ms).toISOString();
  const pt = (ms: number) => (ms / 1000).toFixed(3);
  let span = 1;
  const hex = (n: number, w: number) => n.toString(16).padStart(w, '0');
  const head = (type: string, ms: number) =>
    `{"schema_version":1,"record_type":"${type}","timestamp":"${iso(ms)}","processing_time":${pt(ms)},"session_id":"${sessionId}"`;
  const perStage = Math.max(1, Math.round(targetBytes / (MONTHS * STAGES.length * BYTES_PER_EXECUTION)));
  for (let m = 0; bytes + s.length + p.length < targetBytes; m++) {
    const month = `${2000 + Math.floor(m / 12)}-${String((m % 12) + 1).padStart(2, '0')}`;
    const trace = hex(m + 1, 32);
    const monthSpan = hex(span++, 16);
    const monthStart = t;
    s += `${head('month', t)},"level":"INFO","message":"Starting month ${month}","month":"${month}","stage":"month_processing","stage_event":"start","context":{"source":"demo-bucket"},"memory_mb":108.5,"has_error":false,"trace_id":"${trace}","span_id":"${monthSpan}"}\n`;
    lines++;
    for (const stage of STAGES) {
      // Many executions per stage and month: batch pipelines run stages per file.
      for (let k = 0; k < perStage; k++) {
        const id = hex(span++, 16);
        const start = t;
        const rss = (100 + random() * 50).toFixed(1);
        s += `${head('stage', t)},"level":"INFO","message":"Starting ${stage}","month":"${month}","stage":"${stage}","stage_event":"start","context":{"file_key":"s3://demo-bucket/trades/${month}-${k}.csv","bucket":"demo-bucket","format":"csv"},"memory_mb":${rss},"has_error":false,"trace_id":"${trace}","span_id":"${id}"}\n`;
        t += Math.floor(random() * 300);
        s += `${head('message', t)},"level":"INFO","message":"Received ${Math.floor(random() * 5000)} rows (120 KiB)","month":"${month}","stage":"${stage}","stage_event":null,"context":{},"memory_mb":${rss},"has_error":false,"trace_id":"${trace}","span_id":"${id}"}\n`;
        t += Math.floor(random() * 300);
        const duration = ((t - start) / 1000).toString();
        const failed = random() < 0.01;
        const ctx = `{"file_key":"s3://demo-bucket/trades/${month}-${k}.csv","bucket":"demo-bucket","format":"csv","rows":2210,"bytes":122586}`;
        s += failed
          ? `${head('stage', t)},"level":"ERROR","message":"${stage} failed: Error: bad row","month":"${month}","stage":"${stage}","stage_event":"end","stage_duration":${duration},"success_status":false,"outcome":"failure","context":${ctx},"memory_mb":${rss},"has_error":true,"error_type":"Error","error_message":"bad row","trace_id":"${trace}","span_id":"${id}"}\n`
          : `${head('stage', t)},"level":"INFO","message":"${stage} completed successfully","month":"${month}","stage":"${stage}","stage_event":"end","stage_duration":${duration},"success_status":true,"outcome":"success","context":${ctx},"memory_mb":${rss},"has_error":false,"trace_id":"${trace}","span_id":"${id}"}\n`;
        p += `{"schema_version":1,"record_type":"stage","timestamp":"${iso(t)}","session_id":"${sessionId}","month":"${month}","stage":"${stage}","duration_seconds":${duration},"memory_mb":${rss},"memory_delta_mb":0,"memory_peak_mb":${rss},"heap_used_mb":17.8,"heap_delta_mb":0,"cpu_percent":51.2,"success":${!failed},"outcome":"${failed ? 'failure' : 'success'}","slow":false,"context":${ctx},"trace_id":"${trace}","span_id":"${id}"}\n`;
        lines += 4;
        flush(false);
      }
    }
    const monthDuration = ((t - monthStart) / 1000).toString();
    s += `${head('month', t)},"level":"INFO","message":"month ${month} completed successfully","month":"${month}","stage":"month_processing","stage_event":"end","stage_duration":${monthDuration},"success_status":true,"outcome":"success","context":{"source":"demo-bucket"},"memory_mb":110.9,"has_error":false,"trace_id":"${trace}","span_id":"${monthSpan}"}\n`;
    p += `{"schema_version":1,"record_type":"month","timestamp":"${iso(t)}","session_id":"${sessionId}","month":"${month}","stage":"month_processing","duration_seconds":${monthDuration},"memory_mb":110.9,"memory_delta_mb":0,"memory_peak_mb":150,"heap_used_mb":17.8,"heap_delta_mb":0,"cpu_percent":51.2,"success":true,"outcome":"success","slow":false,"context":{"source":"demo-bucket"},"trace_id":"${trace}","span_id":"${monthSpan}"}\n`;
    lines += 2;
    t += 10;
  }
  flush(true);
  closeSync(structured);
  closeSync(performance);
  return { bytes, lines };
}
