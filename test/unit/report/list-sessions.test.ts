import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STRUCTURED_LOG_FILE } from '../../../src/model/audit-schema.js';
import { listSessions } from '../../../src/report/list-sessions.js';
import type { SkippedLine } from '../../../src/report/summarize-audit-log.js';
import { writeRecords } from '../../helpers/audit-jsonl.js';
import { end, ref, start, T0 } from '../../helpers/records.js';
import { monthlySession, writeMonthlySession } from '../../helpers/session-files.js';

let work: string;
let n = 0;
const freshDir = () => mkdtempSync(join(work, `case-${++n}-`));

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'stagetrace-list-sessions-'));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('listSessions', () => {
  it('tells a session that succeeded, one with a failed month, and one that never ended', async () => {
    const dir = freshDir();
    writeMonthlySession(dir, 'ok', T0, { '2024-01': { a: 1 } });
    writeMonthlySession(dir, 'failed', T0 + 60_000, { '2024-01': { a: 1 }, '2024-02': { a: -2 } });
    writeMonthlySession(dir, 'killed', T0 + 120_000, { '2024-01': { a: 1 } }, { ended: false, openMonth: '2024-02' });
    const list = await listSessions(dir);
    expect(
      list.map((s) => `${s.session_id} ${s.outcome} ${s.months}/${s.months_failed} ${s.stage_executions}/${s.stage_failures}`),
    ).toEqual(['ok succeeded 1/0 1/0', 'failed failed 2/1 2/1', 'killed open 2/0 1/0']);
    expect(list[1]).toMatchObject({ start: '2025-01-06T09:01:00.000Z', last_record: '2025-01-06T09:01:03.000Z', duration_seconds: 3 });
  });

  it('counts a month that failed and then succeeded on a retry as succeeded', async () => {
    const dir = freshDir();
    const m1 = ref('month', 'month', '2024-01', undefined, 'retry');
    const m2 = ref('month', 'month', '2024-01', undefined, 'retry');
    writeRecords(dir, 'retry', [start(m1, T0), end(m1, T0, 1, { outcome: 'failure' }), start(m2, T0 + 1000), end(m2, T0 + 1000, 1)]);
    expect(await listSessions(dir)).toEqual([expect.objectContaining({ months: 1, months_failed: 0, outcome: 'succeeded' })]);
  });

  it('takes a session whose end marker was written as ended, even with a scope left open', async () => {
    const dir = freshDir();
    const records = monthlySession('ended', T0, { '2024-01': { a: 1 } }, { ended: false, openMonth: '2024-02' });
    writeRecords(dir, 'ended', [...records, ...monthlySession('ended', T0 + 2000, {}).slice(-1)]);
    expect((await listSessions(dir))[0]?.outcome).toBe('succeeded');
  });

  it('reads rotated generations first, and reports its progress in bytes of all of them', async () => {
    const dir = freshDir();
    writeMonthlySession(dir, 'older', T0, { '2024-01': { a: 1 } });
    renameSync(join(dir, STRUCTURED_LOG_FILE), join(dir, `${STRUCTURED_LOG_FILE}.1`));
    writeMonthlySession(dir, 'newer', T0 + 60_000, { '2024-01': { a: 1 } });
    const total = statSync(join(dir, STRUCTURED_LOG_FILE)).size + statSync(join(dir, `${STRUCTURED_LOG_FILE}.1`)).size;
    const progress: [number, number][] = [];
    const list = await listSessions(dir, { onProgress: (read, all) => progress.push([read, all]) });
    expect(list.map((s) => s.session_id)).toEqual(['older', 'newer']);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every(([, all]) => all === total)).toBe(true);
    expect(progress.at(-1)?.[0]).toBe(total);
  });

  it('skips lines that are not records, saying why, and a torn last line as such', async () => {
    const dir = freshDir();
    writeMonthlySession(dir, 's', T0, { '2024-01': { a: 1 } });
    const file = join(dir, STRUCTURED_LOG_FILE);
    appendFileSync(file, '\n{"schema_version":1}\n{oops\n{"schema_version":1,"session_id":"s","timest');
    const skipped: SkippedLine[] = [];
    const list = await listSessions(dir, { onSkippedLine: (line) => skipped.push(line) });
    expect(list).toHaveLength(1);
    expect(skipped.map((s) => (s.reason.startsWith('not JSON (') ? 'not JSON (…)' : s.reason))).toEqual([
      'not an audit record (no session_id)',
      'not JSON (…)',
      'torn last line (the process was stopped while writing it)',
    ]);
    expect(skipped[2]).toMatchObject({ file, torn: true });
  });

  it('says the folder holds no sessions when its file has no records', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, STRUCTURED_LOG_FILE), 'garbage\n\n');
    await expect(listSessions(dir)).rejects.toMatchObject({
      kind: 'no-records',
      message: `${dir} holds no sessions: its structured_processing.jsonl has no records.`,
    });
  });

  it('says which file it cannot read', async () => {
    const dir = freshDir();
    mkdirSync(join(dir, STRUCTURED_LOG_FILE));
    await expect(listSessions(dir)).rejects.toMatchObject({
      kind: 'unreadable',
      message: `cannot read ${join(dir, STRUCTURED_LOG_FILE)}: it is a folder, not a file`,
    });
  });
});
