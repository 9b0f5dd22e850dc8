/**
 * A power cut can leave megabytes of NUL bytes without a newline in an audit
 * file. Reading it back takes time and memory linear in the file, not in the
 * square of the line: the line is skipped past a length cap, with a note, and
 * the records after it are read. Each folder is read in a process of its own,
 * so that its peak RSS is its own. (The time is recorded in BENCHMARKS.md.)
 */
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STRUCTURED_LOG_FILE } from '../../../src/model/audit-schema.js';
import { T0 } from '../../helpers/records.js';
import { runNodeScript } from '../../helpers/run-node.js';
import { writeMonthlySession } from '../../helpers/session-files.js';

const MB = 1024 * 1024;

interface Read {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
  maxRssBytes: number;
}

async function read(...args: string[]): Promise<Read> {
  const run = await runNodeScript('test/integration/report/fixtures/read-folder.ts', { args, timeoutMs: 120_000 });
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as Read;
}

let work: string;
let plain: string;
let damaged: string;
/** The same records, then 100 MB of NUL bytes: the power cut came last. */
let tornTail: string;
/** The long line's number. */
let lineNo: number;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'stagetrace-long-line-'));
  plain = join(work, 'plain');
  damaged = join(work, 'damaged');
  tornTail = join(work, 'torn-tail');
  mkdirSync(plain);
  const file = (dir: string) => join(dir, STRUCTURED_LOG_FILE);
  writeMonthlySession(plain, 'before', T0, { '2024-01': { a: 1, b: 2 } });
  const before = readFileSync(file(plain), 'utf8');
  lineNo = before.split('\n').length;
  writeMonthlySession(plain, 'after', T0 + 60_000, { '2024-01': { a: 1 }, '2024-02': { a: 3 } });
  cpSync(plain, damaged, { recursive: true });
  cpSync(plain, tornTail, { recursive: true });
  // The same records, with 100 MB of NUL bytes between the sessions, ended by the next write's newline.
  writeFileSync(file(damaged), before);
  const zeros = Buffer.alloc(10 * MB);
  for (let i = 0; i < 10; i++) appendFileSync(file(damaged), zeros);
  for (let i = 0; i < 10; i++) appendFileSync(file(tornTail), zeros);
  appendFileSync(file(damaged), `\n${readFileSync(file(plain), 'utf8').slice(before.length)}`);
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('a 100 MB line without a newline', () => {
  it('is skipped with a note; the report and the session list are those of the folder without it, within 64 MB more RSS', async () => {
    for (const command of ['report', 'sessions']) {
      const base = await read(command, plain);
      const long = await read(command, damaged);
      expect(long.code).toBe(0);
      expect(long.stdout.replace(damaged, plain)).toBe(base.stdout);
      expect(long.stderr).toBe(
        `stagetrace: note: skipped ${join(damaged, STRUCTURED_LOG_FILE)}:${lineNo}: longer than 8388608 characters: skipped to its end\n`,
      );
      expect((long.maxRssBytes - base.maxRssBytes) / MB).toBeLessThan(64);
    }
  }, 300_000);

  it('at the end of the file, is skipped with a note, and the latest session is still found before it', async () => {
    const base = await read('report', plain);
    const long = await read('report', tornTail);
    expect(long.code).toBe(0);
    expect(long.stdout.replace(tornTail, plain)).toBe(base.stdout);
    expect(long.stderr).toMatch(/^stagetrace: note: skipped .*torn-tail\/structured_processing\.jsonl:\d+: longer than 8388608 characters/);
    expect((long.maxRssBytes - base.maxRssBytes) / MB).toBeLessThan(64);
  }, 300_000);
});
