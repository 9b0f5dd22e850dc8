/** A demo run as the end-to-end tests check it: its months in Jaeger against its audit files. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type JaegerTrace, jaegerTraces, tag } from './apis.js';
import { waitFor } from './processes.js';

export const SERVICE = 'demo-monthly-pipeline';

type Rec = Record<string, unknown>;

/** The complete JSON lines of a file being written (a line still being written is skipped). */
function readJsonLines(file: string): Rec[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((line) => {
      try {
        return line.trim() === '' ? [] : [JSON.parse(line) as Rec];
      } catch {
        return [];
      }
    });
}

export const structured = (dir: string): Rec[] => readJsonLines(join(dir, 'structured_processing.jsonl'));

/** The demo's session id, from its first record. */
export function sessionOf(dir: string): string {
  const first = structured(dir)[0];
  if (first === undefined) throw new Error(`no records in ${dir}`);
  return String(first.session_id);
}

/** Span id → month of every span the run started, from its structured file. */
export function spansInFiles(dir: string): Map<string, string> {
  return new Map(
    structured(dir)
      .filter((r) => r.stage_event === 'start')
      .map((r) => [String(r.span_id), String(r.month)]),
  );
}

/** Stage executions by `stage/outcome`, from the performance file. */
export function stageCountsInFiles(dir: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of readJsonLines(join(dir, 'performance_metrics.jsonl'))) {
    if (r.record_type !== 'stage') continue;
    const key = `${r.stage}/${r.outcome}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

/** Months in Jaeger → span count of their trace; throws on a span or a month seen twice. */
export function monthsIn(traces: JaegerTrace[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of traces) {
    const ids = t.spans.map((s) => s.spanID);
    if (new Set(ids).size !== ids.length) throw new Error(`trace ${t.traceID} holds a span twice`);
    const month = t.spans.find((s) => s.operationName === 'month');
    const key = String(month ? tag(month, 'stagetrace.month') : `(no month span in ${t.traceID})`);
    if (out.has(key)) throw new Error(`month ${key} is in Jaeger twice`);
    out.set(key, t.spans.length);
  }
  return out;
}

/**
 * Waits until Jaeger holds exactly the spans the run's files started, each
 * month once as one trace; returns the traces.
 */
export async function waitForRunInJaeger(
  jaegerUrl: string,
  dir: string,
  describe: () => string,
  timeoutMs = 60_000,
): Promise<JaegerTrace[]> {
  const sessionId = sessionOf(dir);
  const files = spansInFiles(dir);
  const months = new Set(files.values()).size;
  let seen = '';
  return waitFor(
    `Jaeger to hold the ${months} months (${files.size} spans) of session ${sessionId}`,
    async () => {
      const traces = await jaegerTraces(jaegerUrl, SERVICE, { 'stagetrace.session.id': sessionId });
      const byMonth = monthsIn(traces);
      const spans = traces.flatMap((t) => t.spans.map((s) => s.spanID));
      seen = `${byMonth.size} months, ${spans.length} spans`;
      return byMonth.size === months && spans.length === files.size && spans.every((id) => files.has(id)) ? traces : undefined;
    },
    { timeoutMs, intervalMs: 500, describe: () => `\nJaeger held ${seen}${describe()}` },
  );
}
