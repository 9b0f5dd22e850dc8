import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDuration } from '../../../src/report/format.js';
import type { SessionSummary } from '../../../src/stats/session-summary.js';
import { launchChromium } from '../../helpers/chromium.js';
import { REPO_ROOT, runNodeScript } from '../../helpers/run-node.js';

const CLI = 'src/cli/stagetrace.ts';
const HOSTILE_STAGE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">';
/**
 * Kept in the repository and shown in the README: the demo's report as Chromium renders it.
 * Rewritten only on request (`STAGETRACE_UPDATE_SCREENSHOT=1 npx vitest run --config vitest.e2e.config.ts test/e2e/browser/html-report.test.ts`),
 * so that a test run leaves the working tree as it found it.
 */
const SCREENSHOT = join(REPO_ROOT, 'docs', 'report-screenshot.png');
const UPDATE_SCREENSHOT = process.env.STAGETRACE_UPDATE_SCREENSHOT === '1';

let work: string;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let context: BrowserContext;

interface Loaded {
  page: Page;
  consoleErrors: string[];
  requests: string[];
}

/** Opens a report from disk, recording console errors, page errors and every request. */
async function open(file: string): Promise<Loaded> {
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(`file://${file}`, { waitUntil: 'load' });
  return { page, consoleErrors, requests };
}

async function htmlReport(logs: string, out: string): Promise<void> {
  const run = await runNodeScript(CLI, { args: ['report', logs, '--format', 'html', '--out', out], timeoutMs: 60_000 });
  expect(run.code, run.stderr).toBe(0);
}

let demo: Loaded;
let demoSummary: SessionSummary;
let demoLogs: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'stagetrace-html-'));
  demoLogs = join(work, 'demo');
  const run = await runNodeScript('examples/monthly-pipeline.ts', {
    args: ['--log-dir', demoLogs, '--fail-month', '2024-03'],
    timeoutMs: 90_000,
  });
  expect(run.code, run.stderr).toBe(0);
  await htmlReport(demoLogs, join(work, 'demo.html'));
  demoSummary = JSON.parse((await runNodeScript(CLI, { args: ['report', demoLogs, '--format', 'json'] })).stdout) as SessionSummary;
  browser = await launchChromium();
  context = browser.context;
  demo = await open(join(work, 'demo.html'));
}, 200_000);

afterAll(async () => {
  await browser?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('the HTML report in Chromium', () => {
  it('loads from disk with no console errors and no request but the file itself', () => {
    expect(demo.consoleErrors).toEqual([]);
    expect(demo.requests).toEqual([`file://${join(work, 'demo.html')}`]);
  });

  it('draws a row per month and one bar per stage execution', async () => {
    expect(await demo.page.locator('#timeline .row').count()).toBe(6);
    expect(demoSummary.totals.stage_executions).toBe(23);
    expect(await demo.page.locator('#timeline .bar').count()).toBe(23);
    expect(await demo.page.locator('#timeline .bar.failure').count()).toBe(1);
    const failedRow = demo.page.locator('#timeline .row', { hasText: '2024-03' });
    expect(await failedRow.locator('.bar').count()).toBe(3);
    expect(await failedRow.locator('.status').textContent()).toBe('failure');
  });

  it('shows a bar’s stage, duration and context on hover', async () => {
    const performance = readFileSync(join(demoLogs, 'performance_metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { stage: string; month: string; duration_seconds: number; record_type: string });
    const validate = performance.find((r) => r.record_type === 'stage' && r.stage === 'download' && r.month === '2024-02');
    const bar = demo.page.locator('#timeline .row', { hasText: '2024-02' }).locator('.bar', { hasText: 'download' });
    const tip = demo.page.locator('#tip');
    expect(await tip.isVisible()).toBe(false);
    await bar.hover();
    expect(await tip.isVisible()).toBe(true);
    const text = ((await tip.textContent()) ?? '').split('\n');
    expect(text[0]).toBe('download · 2024-02');
    expect(text[1]).toBe(`${formatDuration(validate?.duration_seconds as number)} · success`);
    expect(text).toContain('file_key: s3://demo-bucket/trades/2024-02.csv');
    await demo.page.mouse.move(0, 0);
    expect(await tip.isVisible()).toBe(false);
  });

  it('shows memory over time, the statistics, the bottleneck and the error with its traceback', async () => {
    const points = (await demo.page.locator('#memory polyline.rss').getAttribute('points'))?.split(' ') ?? [];
    expect(points.length).toBeGreaterThan(20);
    expect(await demo.page.locator('#stages tbody tr').count()).toBe(4);
    expect(await demo.page.locator('#bottlenecks li b').first().textContent()).toBe(demoSummary.bottlenecks[0]?.stage);
    const firstError = demo.page.locator('#errors details').first();
    expect(await firstError.locator('summary').textContent()).toContain(
      '2024-03 · validate — Error: 2024-03: 1 trade(s) with a negative price',
    );
    expect(await firstError.locator('pre').textContent()).toMatch(/Caused by: RangeError: line \d+ of 2024-03\.csv/);
    const shot = await demo.page.screenshot({ path: UPDATE_SCREENSHOT ? SCREENSHOT : undefined, fullPage: false });
    // A PNG of the whole viewport, not a blank page.
    expect(shot.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(shot.length).toBeGreaterThan(20_000);
  });

  it('renders markup in stage names, context and messages as text, and runs none of it', async () => {
    const logs = join(work, 'hostile');
    mkdirSync(logs);
    const run = await runNodeScript('test/integration/report/fixtures/hostile-names.ts', { args: [logs], timeoutMs: 60_000 });
    expect(run.code, run.stderr).toBe(0);
    await htmlReport(logs, join(work, 'hostile.html'));
    const hostile = await open(join(work, 'hostile.html'));
    expect(await hostile.page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(hostile.requests).toEqual([`file://${join(work, 'hostile.html')}`]); // the <img src=x> was never an image
    expect(hostile.consoleErrors).toEqual([]);
    expect(await hostile.page.locator('img').count()).toBe(0);
    expect(await hostile.page.locator('script').count()).toBe(1); // the report's own
    const bar = hostile.page.locator('#timeline .bar').first();
    expect(await bar.textContent()).toBe(HOSTILE_STAGE);
    await bar.hover();
    expect(await hostile.page.locator('#tip').textContent()).toContain('note: </script><script>window.__pwned = 3</script>');
    expect(await hostile.page.locator('#stages tbody th').first().textContent()).toBe(HOSTILE_STAGE);
    expect(await hostile.page.locator('#errors summary').first().textContent()).toContain(
      'Error: <img src=x onerror="window.__pwned = 4">',
    );
  });
});
