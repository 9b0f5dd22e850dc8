/**
 * `stagetrace report` gives one answer in every format: the bottlenecks,
 * their order and every reason (CPU-bound or waiting, variation between
 * named months, outliers, memory growth), and each stage's CPU figures read
 * the same in the text, JSON, CSV and HTML reports of the same files.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { NO_TELEMETRY_PROBLEMS } from '../../../src/model/telemetry-counts.js';
import { escapeHtml } from '../../../src/report/html-report.js';
import type { SessionSummary } from '../../../src/stats/session-summary.js';
import { writeRecords } from '../../helpers/audit-jsonl.js';
import { csvRecords } from '../../helpers/csv.js';
import { end, ref, sessionEnded, sessionStarted, start, T0 } from '../../helpers/records.js';
import type { SessionRecord } from '../../helpers/session-files.js';

const SESSION = 'agree';

class Captured {
  text = '';
  write(chunk: string | Uint8Array): boolean {
    this.text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  }
}

async function report(dir: string, format: string): Promise<string> {
  const stdout = new Captured();
  const stderr = new Captured();
  const code = await main(['report', dir, '--format', format], {
    stdout: stdout as unknown as NodeJS.WritableStream,
    stderr: stderr as unknown as NodeJS.WriteStream,
  });
  expect(code, stderr.text).toBe(0);
  return stdout.text;
}

/**
 * Four months of `download` (waiting on the network; 12 s in 2024-03
 * against 2 s elsewhere), `transform` (computing, RSS growing 60 MB a run)
 * and a short `upload`; in 2024-04 `transform` ran beside another stage.
 */
function session(): SessionRecord[] {
  const records: SessionRecord[] = [sessionStarted(T0, { sessionId: SESSION, serviceName: 'etl', warningMb: 700, criticalMb: 900 })];
  let t = T0;
  for (const month of ['2024-01', '2024-02', '2024-03', '2024-04']) {
    const m = ref('month', 'month', month, undefined, SESSION);
    const monthStart = t;
    records.push(start(m, t));
    const stages: [string, number, Parameters<typeof end>[3]][] = [
      ['download', month === '2024-03' ? 12 : 2, { cpuSeconds: month === '2024-03' ? 0.6 : 0.1 }],
      ['transform', 4, { cpuSeconds: 3.7, rssEndMb: 160, heapPeakMb: 80, overlapped: month === '2024-04' }],
      ['upload', 0.5, { cpuSeconds: 0.05 }],
    ];
    for (const [name, seconds, o] of stages) {
      const s = ref('stage', name, month, m, SESSION);
      records.push(start(s, t), end(s, t, seconds, o));
      t += seconds * 1000;
    }
    records.push(end(m, monthStart, (t - monthStart) / 1000));
  }
  records.push(sessionEnded(t, NO_TELEMETRY_PROBLEMS, { sessionId: SESSION }));
  return records;
}

const pct = (share: number) => `${(share * 100).toFixed(1)}%`;

describe('the report formats agree', () => {
  let dir: string;
  let json: SessionSummary;
  let text: string;
  let csv: Record<string, string>[];
  let html: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stagetrace-agree-'));
    writeRecords(dir, SESSION, session());
    json = JSON.parse(await report(dir, 'json')) as SessionSummary;
    text = await report(dir, 'text');
    csv = csvRecords(await report(dir, 'csv'));
    html = await report(dir, 'html');
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the bottlenecks and says why, with every kind of reason', () => {
    expect(json.bottlenecks.map((b) => b.stage)).toEqual(['download', 'transform']);
    const kinds = (stage: string) => json.bottlenecks.find((b) => b.stage === stage)?.reasons.map((r) => r.kind);
    expect(kinds('download')).toEqual(['share_of_time', 'waiting', 'variance_between_months', 'outlier']);
    expect(kinds('transform')).toEqual(['share_of_time', 'cpu_bound', 'memory_growth']);
    const variance = json.bottlenecks[0]?.reasons.find((r) => r.kind === 'variance_between_months');
    expect(variance).toMatchObject({ min_month: '2024-01', max_month: '2024-03' });
    expect(json.stages.transform).toMatchObject({ cpu_seconds: 14.8, cpu_share: 0.925, peak_heap_mb: 80, overlapped_executions: 1 });
  });

  it('words each bottleneck the same in text, CSV and HTML, in the same order', () => {
    const textLines = text.split('\n');
    json.bottlenecks.forEach((b, i) => {
      const words = b.reasons.map((r) => r.text).join('; ');
      const prefix = i === 0 ? `Bottleneck: ${b.stage} — ` : `  ${i + 1}. ${b.stage} — `;
      expect(textLines).toContain(`${prefix}${words}`);
      const row = csv.find((r) => r.kind === 'stage' && r.name === b.stage);
      expect(row?.bottleneck_rank).toBe(String(i + 1));
      expect(row?.bottleneck_reasons).toBe(words);
      expect(html).toContain(
        `<li><b>${escapeHtml(b.stage)}</b><ul>${b.reasons.map((r) => `<li>${escapeHtml(r.text)}</li>`).join('')}</ul></li>`,
      );
    });
  });

  it("gives each stage's CPU, heap peak and overlap the same figures in every format", () => {
    for (const [name, st] of Object.entries(json.stages)) {
      const row = csv.find((r) => r.kind === 'stage' && r.name === name);
      expect(row?.cpu_seconds).toBe(String(st.cpu_seconds));
      expect(row?.cpu_share).toBe(String(st.cpu_share));
      expect(row?.peak_heap_mb).toBe(String(st.peak_heap_mb));
      expect(row?.overlapped_executions).toBe(String(st.overlapped_executions));
      const cells = [(st.peak_heap_mb ?? 0).toFixed(1), pct(st.cpu_share ?? 0), String(st.overlapped_executions)];
      const textRow = text.split('\n').find((line) => line.trim().startsWith(`${name} `));
      expect(textRow?.trim().split(/\s+/).slice(-3)).toEqual(cells);
      expect(html).toContain(`${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`);
    }
  });
});
