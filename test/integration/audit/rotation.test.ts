/**
 * Size-based rotation under concurrent writers, and reading the rotated
 * generations back with readAuditLog.
 */
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type InvalidLine, logProgress, readAuditLog, shutdown, start, traceMonth, traceStage } from '../../../src/index.js';
import { HUMAN, isSessionMarker, readJsonl, readText, STRUCTURED, tempDir } from './audit-support.js';

const root = tempDir('rotation');
let n = 0;
afterEach(async () => {
  await shutdown();
});
afterAll(() => root.remove());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every generation of `name` in `dir`: name, name.1, name.2, … */
function generations(dir: string, name: string): string[] {
  return readdirSync(dir)
    .filter((f) => f === name || f.startsWith(`${name}.`))
    .map((f) => join(dir, f));
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

const HUMAN_LINE = /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] \[[A-Z_]+\] /;

describe('rotation with concurrent writers', () => {
  for (const durability of ['sync', 'buffered'] as const) {
    it(`${durability}: no line split across files, none lost, every file within maxFileBytes`, async () => {
      const dir = join(root.dir, `concurrent-${++n}`);
      // maxFiles large enough that nothing is deleted: every record must be found again.
      await start({ logDir: dir, maxFileBytes: 4096, maxFiles: 1000, durability, console: false, handleExit: false, hostMetrics: false });
      const WRITERS = 20;
      const MESSAGES = 40;
      await traceMonth('2024-10', () =>
        Promise.all(
          Array.from({ length: WRITERS }, (_, w) =>
            traceStage(`writer-${w}`, async () => {
              for (let m = 0; m < MESSAGES; m++) {
                logProgress(`w${w}-m${m} ${'x'.repeat(m * 3)}`, { context: { writer: w, message: m } });
                if (m % 4 === w % 4) await sleep(1);
              }
            }),
          ),
        ),
      );
      await shutdown();

      const structuredFiles = generations(dir, STRUCTURED);
      expect(structuredFiles.length).toBeGreaterThan(20); // it did rotate, many times
      for (const file of [...structuredFiles, ...generations(dir, HUMAN)]) {
        expect(statSync(file).size, file).toBeLessThanOrEqual(4096);
        const text = readText(file);
        expect(text.endsWith('\n'), file).toBe(true);
      }
      // Each generation on its own holds whole records only.
      for (const file of structuredFiles) readJsonl(file);
      for (const file of generations(dir, HUMAN)) {
        for (const line of readText(file).split('\n').slice(0, -1)) expect(line).toMatch(HUMAN_LINE);
      }

      const invalid: InvalidLine[] = [];
      const records = await collect(readAuditLog(dir, { onInvalidLine: (p) => invalid.push(p) }));
      expect(invalid).toEqual([]);
      const messages = records.filter((r) => r.record_type === 'message' && !isSessionMarker(r as never));
      expect(messages).toHaveLength(WRITERS * MESSAGES);
      expect(new Set(messages.map((r) => r.message.split(' ')[0])).size).toBe(WRITERS * MESSAGES);
      // Oldest first: each writer's messages come back in the order written.
      for (let w = 0; w < WRITERS; w++) {
        const order = messages.filter((r) => r.context.writer === w).map((r) => r.context.message);
        expect(order).toEqual(Array.from({ length: MESSAGES }, (_, m) => m));
      }
      expect(records.filter((r) => r.record_type === 'stage' && r.stage_event === 'end')).toHaveLength(WRITERS);
      expect(records.filter((r) => r.record_type === 'stage' && r.stage_event === 'start')).toHaveLength(WRITERS);
      const performance = await collect(readAuditLog(dir, { file: 'performance' }));
      expect(performance.map((p) => p.stage).sort()).toEqual(
        [...Array.from({ length: WRITERS }, (_, w) => `writer-${w}`), 'month_processing'].sort(),
      );
      const humanMessages = generations(dir, HUMAN)
        .flatMap((file) => readText(file).split('\n'))
        .filter((line) => / \[INFO\] \[writer-\d+\] w\d+-m\d+/.test(line));
      expect(humanMessages).toHaveLength(WRITERS * MESSAGES);
    }, 60_000);
  }

  it('keeps at most maxFiles rotated generations; the oldest records go, the newest stay in order', async () => {
    const dir = join(root.dir, `deletion-${++n}`);
    await start({
      logDir: dir,
      maxFileBytes: 4096,
      maxFiles: 3,
      durability: 'sync',
      console: false,
      handleExit: false,
      hostMetrics: false,
    });
    const COUNT = 300;
    for (let i = 1; i <= COUNT; i++) logProgress(`message ${i}`);
    await shutdown();
    expect(existsSync(join(dir, `${STRUCTURED}.3`))).toBe(true);
    expect(existsSync(join(dir, `${STRUCTURED}.4`))).toBe(false);
    expect(generations(dir, STRUCTURED)).toHaveLength(4); // live + 3
    expect(generations(dir, HUMAN).length).toBeLessThanOrEqual(4);
    const numbers = (await collect(readAuditLog(dir)))
      .filter((r) => !isSessionMarker(r as never))
      .map((r) => Number(r.message.split(' ')[1]));
    expect(numbers.length).toBeGreaterThan(20);
    expect(numbers.length).toBeLessThan(COUNT); // older records were deleted, by design
    const first = numbers[0] as number;
    expect(numbers).toEqual(Array.from({ length: COUNT - first + 1 }, (_, i) => first + i));
  });
});

describe('readAuditLog', () => {
  const line = (session: string, message: string, extra: Record<string, unknown> = {}) =>
    `${JSON.stringify({ schema_version: 1, record_type: 'message', timestamp: '2024-01-01T00:00:00.000Z', session_id: session, message, ...extra })}\n`;

  async function folder(files: Record<string, string>): Promise<string> {
    const dir = join(root.dir, `read-${++n}`);
    await mkdir(dir, { recursive: true });
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return dir;
  }

  it('reads rotated files oldest first, across sessions, and filters by session', async () => {
    const dir = await folder({
      [`${STRUCTURED}.10`]: line('A', 'a1'),
      [`${STRUCTURED}.2`]: line('A', 'a2') + line('A', 'a3'),
      [`${STRUCTURED}.1`]: line('A', 'a4') + line('B', 'b1'),
      [STRUCTURED]: line('B', 'b2') + line('B', 'b3'),
    });
    expect((await collect(readAuditLog(dir))).map((r) => r.message)).toEqual(['a1', 'a2', 'a3', 'a4', 'b1', 'b2', 'b3']);
    expect((await collect(readAuditLog(dir, { sessionId: 'B' }))).map((r) => r.message)).toEqual(['b1', 'b2', 'b3']);
    expect(await collect(readAuditLog(dir, { sessionId: 'C' }))).toEqual([]);
  });

  it('skips and reports a torn last line, keeping every record before it', async () => {
    const torn = '{"schema_version":1,"record_type":"mess';
    const dir = await folder({ [`${STRUCTURED}.1`]: line('A', 'a1'), [STRUCTURED]: line('A', 'a2') + torn });
    const invalid: InvalidLine[] = [];
    const records = await collect(readAuditLog(dir, { onInvalidLine: (p) => invalid.push(p) }));
    expect(records.map((r) => r.message)).toEqual(['a1', 'a2']);
    expect(invalid).toEqual([{ file: join(dir, STRUCTURED), line: 2, reason: expect.stringMatching(/^torn last line/), text: torn }]);
  });

  it('reads schema 1 and schema 2 records side by side (a folder written before and after an upgrade)', async () => {
    const v2 = { schema_version: 2, trace_id: 'a'.repeat(32), span_id: 'b'.repeat(16), epoch_ms: 1704067200000.125 };
    const dir = await folder({ [`${STRUCTURED}.1`]: line('A', 'old'), [STRUCTURED]: line('B', 'new', v2) });
    const [old, fresh] = await collect(readAuditLog(dir));
    expect(old).toMatchObject({ schema_version: 1, message: 'old' });
    expect(old).not.toHaveProperty('epoch_ms');
    expect(fresh).toMatchObject({ schema_version: 2, message: 'new', epoch_ms: 1704067200000.125 });
  });

  it('reads otlp_delivery.jsonl with file: delivery, and nothing when a folder has none', async () => {
    const delivered = `${JSON.stringify({ schema_version: 2, record_type: 'delivered', timestamp: '2024-01-01T00:00:00.000Z', session_id: 'A', via: 'forward', endpoint: 'http://127.0.0.1:4318/v1/traces', span_ids: ['c'.repeat(16)] })}\n`;
    const dir = await folder({ 'otlp_delivery.jsonl': delivered });
    expect(await collect(readAuditLog(dir, { file: 'delivery' }))).toEqual([JSON.parse(delivered)]);
    expect(await collect(readAuditLog(await folder({}), { file: 'delivery' }))).toEqual([]);
    await expect(collect(readAuditLog(dir, { file: 'deliveries' as 'delivery' }))).rejects.toThrow(
      /file "deliveries" is not one of structured, performance, delivery/,
    );
  });

  it('rejects a record of a newer schema_version with a clear error', async () => {
    const dir = await folder({ [STRUCTURED]: line('A', 'a1') + line('A', 'a2', { schema_version: 4 }) });
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const r of readAuditLog(dir)) seen.push(r.message);
      })(),
    ).rejects.toThrow(/structured_processing\.jsonl:2 has schema_version 4, newer than this reader's 3: upgrade stagetrace/);
    expect(seen).toEqual(['a1']);
  });

  it('reads performance_metrics.jsonl with file: performance', async () => {
    const perf = (stage: string) =>
      `${JSON.stringify({ schema_version: 1, record_type: 'stage', session_id: 'A', stage, duration_seconds: 1 })}\n`;
    const dir = await folder({ 'performance_metrics.jsonl.1': perf('download'), 'performance_metrics.jsonl': perf('upload') });
    expect((await collect(readAuditLog(dir, { file: 'performance' }))).map((r) => r.stage)).toEqual(['download', 'upload']);
  });

  it('names a folder that does not exist', async () => {
    await expect(collect(readAuditLog(join(root.dir, 'nowhere')))).rejects.toThrow(/folder ".*nowhere" does not exist/);
  });
});
