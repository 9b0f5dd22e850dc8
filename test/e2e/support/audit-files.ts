/** What a demo run wrote: its audit files and its printed session report, reduced to what the stack is checked against. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface AuditRecord {
  record_type: string;
  session_id: string;
  level: string;
  message: string;
  month: string | null;
  stage: string | null;
  stage_event: string | null;
  outcome?: string;
  context?: Record<string, unknown>;
  error_type?: string;
  error_message?: string;
  trace_id: string | null;
  span_id: string | null;
}

export interface PerformanceRecord {
  record_type: 'stage' | 'month';
  session_id: string;
  month: string | null;
  stage: string;
  duration_seconds: number;
  outcome: string;
  slow: boolean;
  trace_id: string;
  span_id: string;
}

function readJsonLines<T>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

/** One stage row of the printed session report. */
export interface ReportStage {
  runs: number;
  ok: number;
  failed: number;
  slow: number;
}

/** The "Stages" table of the session report the demo prints. */
export function reportStages(stdout: string): Record<string, ReportStage> {
  const stages: Record<string, ReportStage> = {};
  const table = stdout.split(/^Stages$/m)[1]?.split(/^Months$/m)[0] ?? '';
  for (const line of table.split('\n')) {
    // "  download     2   2       0   100.0%   179 ms   179 ms   179 ms   244 ms   179 ms   308 ms   487 ms  86.9%     0    108.2     24.9   21.0%        0"
    const m = /^\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+[\d.]+%(?:\s+[\d.]+ \S+){7}\s+[\d.]+%\s+(\d+)\s+[\d.]+(?:\s+[\d.]+%?)*\s*$/.exec(line);
    if (m) stages[m[1] as string] = { runs: Number(m[2]), ok: Number(m[3]), failed: Number(m[4]), slow: Number(m[5]) };
  }
  return stages;
}

export interface DemoRun {
  sessionId: string;
  structured: AuditRecord[];
  performance: PerformanceRecord[];
  report: Record<string, ReportStage>;
  stdout: string;
  stderr: string;
}

export function readDemoRun(logDir: string, stdout: string, stderr: string): DemoRun {
  const structured = readJsonLines<AuditRecord>(join(logDir, 'structured_processing.jsonl'));
  const performance = readJsonLines<PerformanceRecord>(join(logDir, 'performance_metrics.jsonl'));
  const sessions = new Set(structured.map((r) => r.session_id));
  if (sessions.size !== 1) throw new Error(`expected one session in ${logDir}, found ${[...sessions].join(', ') || 'none'}`);
  return { sessionId: [...sessions][0] as string, structured, performance, report: reportStages(stdout), stdout, stderr };
}

/** Counts of `key(item)` over `items`. */
export function countBy<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1;
  return out;
}
