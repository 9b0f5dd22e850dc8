/**
 * A monthly batch pipeline instrumented with stagetrace: `npm run demo`.
 *
 * Each month downloads a trades file, aggregates it per symbol, validates the
 * result and uploads it. The pipeline code is plain functions (`download`,
 * `processFile`, `validate`, `upload`); stagetrace wraps each call in one
 * `traceStage()`, so every month becomes a trace and every stage a span, with
 * progress lines on stderr, audit files in `logs/`, and OTLP export when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` is set. The data is generated (deterministic
 * per month) in a temporary folder that is removed at the end.
 *
 * `--fail-month 2024-03` corrupts that month's download: validation fails,
 * the month is marked failed, and the pipeline carries on with the next one.
 * `--slow-month 2024-04` makes that month's download take a second longer,
 * for `stagetrace compare` to find.
 * `npm run demo -- --help` lists the options.
 */
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { generateSessionReport, logProgress, shutdown, start, traceMonth, traceStage } from '../src/index.js';

const USAGE = `Usage: npm run demo -- [options]

  --months <list|count>   months to run: 2024-01,2024-02 or a count from 2024-01 (default 6)
  --fail-month <YYYY-MM>  corrupt that month's download so its validation fails
  --slow-month <YYYY-MM>  make that month's download a second slower
  --log-dir <folder>      where the audit files go (default logs)
  -h, --help              show this help
`;

const SYMBOLS = ['AAPL', 'MSFT', 'NVDA', 'AMZN', 'GOOG', 'META', 'TSLA', 'JPM'];
const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

class UsageError extends Error {}

/** What the source system reports about a file: the control totals validation checks against. */
interface Downloaded {
  path: string;
  rows: number;
  bytes: number;
  totalQuantity: number;
}

interface Aggregated {
  rows: number;
  symbols: { symbol: string; trades: number; volume: number; vwap: number }[];
  /** Lines with a negative price, kept for validation to judge. */
  negativePrices: { line: number; symbol: string; price: number }[];
}

// ---- the pipeline: plain functions -----------------------------------------
// Their one tie to stagetrace is logProgress(), which finds the active stage itself.

/** A small seeded generator (mulberry32): the same month always yields the same file. */
function seededRandom(seedText: string): () => number {
  let seed = 0;
  for (const ch of seedText) seed = (Math.imul(seed, 31) + ch.charCodeAt(0)) | 0;
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** "Downloads" a month of trades: generates the CSV a source system would serve. */
async function download(month: string, folder: string, corrupt: boolean, slow: boolean): Promise<Downloaded> {
  const random = seededRandom(month);
  const rows = 2000 + Math.floor(random() * 2000);
  const prices = new Map(SYMBOLS.map((symbol) => [symbol, 50 + random() * 400]));
  const monthStart = Date.parse(`${month}-01T00:00:00Z`);
  const lines = ['trade_id,timestamp,symbol,price,quantity'];
  let totalQuantity = 0;
  for (let i = 0; i < rows; i++) {
    const symbol = SYMBOLS[Math.floor(random() * SYMBOLS.length)] as string;
    const price = (prices.get(symbol) as number) * (1 + (random() - 0.5) * 0.01);
    prices.set(symbol, price);
    const quantity = 1 + Math.floor(random() * 500);
    totalQuantity += quantity;
    // A broken upstream export flips the sign of one price.
    const written = corrupt && i === Math.floor(rows * 0.6) ? -price : price;
    const at = new Date(monthStart + i * 600_000).toISOString();
    lines.push(`T${month}-${String(i).padStart(5, '0')},${at},${symbol},${written.toFixed(2)},${quantity}`);
  }
  await sleep(100 + random() * 200 + (slow ? 1000 : 0)); // the network, as it were
  const path = join(folder, `${month}.csv`);
  const text = `${lines.join('\n')}\n`;
  await writeFile(path, text);
  const bytes = Buffer.byteLength(text);
  logProgress(`Received ${rows} rows (${(bytes / 1024).toFixed(0)} KiB)`);
  return { path, rows, bytes, totalQuantity };
}

/** Parses the CSV and aggregates per symbol: trade count, volume and VWAP. Synchronous. */
function processFile(path: string): Aggregated {
  const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
  const bySymbol = new Map<string, { trades: number; volume: number; notional: number }>();
  const negativePrices: Aggregated['negativePrices'] = [];
  for (let i = 1; i < lines.length; i++) {
    const [, , symbol, priceText, quantityText] = (lines[i] as string).split(',');
    const price = Number(priceText);
    const quantity = Number(quantityText);
    if (!symbol || !Number.isFinite(price) || !Number.isInteger(quantity)) {
      throw new Error(`${path} line ${i + 1} is not a trade row: ${JSON.stringify(lines[i])}`);
    }
    if (price < 0) negativePrices.push({ line: i + 1, symbol, price });
    const entry = bySymbol.get(symbol) ?? { trades: 0, volume: 0, notional: 0 };
    entry.trades++;
    entry.volume += quantity;
    entry.notional += price * quantity;
    bySymbol.set(symbol, entry);
  }
  const symbols = [...bySymbol]
    .map(([symbol, s]) => ({ symbol, trades: s.trades, volume: s.volume, vwap: Math.round((s.notional / s.volume) * 1e4) / 1e4 }))
    .sort((a, b) => a.symbol.localeCompare(b.symbol));
  logProgress(`Aggregated ${lines.length - 1} rows into ${symbols.length} symbols`);
  return { rows: lines.length - 1, symbols, negativePrices };
}

/** Checks the aggregate against the source's control totals; throws on the first problem found. */
function validate(month: string, source: Downloaded, result: Aggregated): void {
  if (result.rows !== source.rows) {
    throw new Error(`${month}: parsed ${result.rows} rows but the source reported ${source.rows}`);
  }
  const bad = result.negativePrices[0];
  if (bad !== undefined) {
    throw new Error(`${month}: ${result.negativePrices.length} trade(s) with a negative price; refusing to publish a VWAP built on them`, {
      cause: new RangeError(`line ${bad.line} of ${month}.csv: ${bad.symbol} price ${bad.price}`),
    });
  }
  const trades = result.symbols.reduce((sum, s) => sum + s.trades, 0);
  const volume = result.symbols.reduce((sum, s) => sum + s.volume, 0);
  if (trades !== source.rows || volume !== source.totalQuantity) {
    throw new Error(
      `${month}: per-symbol totals (${trades} trades, volume ${volume}) do not match the source (${source.rows}, ${source.totalQuantity})`,
    );
  }
}

/** "Uploads" the aggregate: writes it as JSON to the output folder. */
async function upload(month: string, folder: string, result: Aggregated): Promise<number> {
  const text = `${JSON.stringify({ month, rows: result.rows, symbols: result.symbols }, null, 2)}\n`;
  await writeFile(join(folder, `${month}.json`), text);
  return Buffer.byteLength(text);
}

// ---- the instrumentation: one traceStage() around each call ---------------

async function runMonth(
  month: string,
  work: { input: string; output: string },
  trouble: { corrupt: boolean; slow: boolean },
): Promise<void> {
  const fileKey = `s3://demo-bucket/trades/${month}.csv`;
  // Async stages return a Promise; sync ones (process, validate) return their value directly.
  const source = await traceStage(
    'download',
    async (stage) => {
      const file = await download(month, work.input, trouble.corrupt, trouble.slow);
      stage.addContext({ rows: file.rows, bytes: file.bytes });
      return file;
    },
    { context: { file_key: fileKey, bucket: 'demo-bucket', format: 'csv' } },
  );

  const result = traceStage(
    'process',
    (stage) => {
      const aggregated = processFile(source.path);
      stage.addContext({ rows: aggregated.rows, symbols: aggregated.symbols.length });
      return aggregated;
    },
    { context: { file_key: fileKey } },
  );

  traceStage('validate', () => validate(month, source, result), {
    context: { checks: ['row_count', 'no_negative_prices', 'totals'] },
  });

  const destination = `s3://demo-bucket/aggregates/${month}.json`;
  await traceStage(
    'upload',
    async (stage) => {
      stage.addContext({ rows: result.rows, bytes: await upload(month, work.output, result) });
    },
    { context: { destination } },
  );
  logProgress(`Month ${month} published to ${destination}`);
}

// ---- command line ---------------------------------------------------------

function monthsFrom(first: string, count: number): string[] {
  const [year, month] = first.split('-').map(Number) as [number, number];
  return Array.from({ length: count }, (_, i) => {
    const d = new Date(Date.UTC(year, month - 1 + i, 1));
    return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
  });
}

function parseCommandLine(argv: string[]) {
  let values: { months?: string; 'fail-month'?: string; 'slow-month'?: string; 'log-dir'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        months: { type: 'string' },
        'fail-month': { type: 'string' },
        'slow-month': { type: 'string' },
        'log-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  let months = monthsFrom('2024-01', 6);
  const spec = values.months?.trim();
  if (spec !== undefined && /^\d+$/.test(spec)) {
    const count = Number(spec);
    if (count < 1 || count > 120) throw new UsageError(`--months ${spec}: a count must be from 1 to 120.`);
    months = monthsFrom('2024-01', count);
  } else if (spec !== undefined) {
    months = spec.split(',').map((m) => m.trim());
    for (const m of months) {
      if (!MONTH.test(m))
        throw new UsageError(
          `--months: "${m}" is not a month; expected YYYY-MM with a month from 01 to 12, e.g. 2024-01,2024-02, or a count such as 6.`,
        );
    }
    const repeated = months.find((m, i) => months.indexOf(m) !== i);
    if (repeated) throw new UsageError(`--months: ${repeated} is listed twice; list each month once.`);
  }
  const failMonth = values['fail-month']?.trim();
  if (failMonth !== undefined && !months.includes(failMonth)) {
    throw new UsageError(`--fail-month "${failMonth}" is not one of the months to run (${months.join(', ')}).`);
  }
  const slowMonth = values['slow-month']?.trim();
  if (slowMonth !== undefined && !months.includes(slowMonth)) {
    throw new UsageError(`--slow-month "${slowMonth}" is not one of the months to run (${months.join(', ')}).`);
  }
  const logDir = values['log-dir'];
  if (logDir !== undefined && logDir.trim() === '') throw new UsageError('--log-dir needs a folder path.');
  return { months, failMonth, slowMonth, logDir, help: values.help ?? false };
}

// ---- main -----------------------------------------------------------------

async function main(): Promise<number> {
  const args = parseCommandLine(process.argv.slice(2));
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  await start({ serviceName: 'demo-monthly-pipeline', logDir: args.logDir });
  const failed: string[] = [];
  try {
    const workDir = await mkdtemp(join(tmpdir(), 'stagetrace-demo-'));
    const work = { input: join(workDir, 'input'), output: join(workDir, 'output') };
    try {
      for (const folder of Object.values(work)) await mkdir(folder);
      logProgress(`Running ${args.months.length} months in ${workDir}`);
      for (const month of args.months) {
        try {
          const trouble = { corrupt: month === args.failMonth, slow: month === args.slowMonth };
          await traceMonth(month, () => runMonth(month, work, trouble), { context: { source: 'demo-bucket' } });
        } catch (error) {
          // One bad month must not stop the rest: record it and go on.
          failed.push(month);
          logProgress(`Month ${month} failed; continuing with the next month`, { level: 'ERROR', error });
        }
      }
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  } finally {
    await shutdown();
  }
  // After shutdown(): the report covers the whole session, files flushed and nothing left running.
  process.stdout.write(`\n${generateSessionReport()}\n`);
  const list = failed.map((m) => (m === args.failMonth ? `${m} (as requested with --fail-month)` : m)).join(', ');
  process.stdout.write(failed.length === 0 ? 'All months succeeded.\n' : `Failed months: ${list}\n`);
  // A month failed on request is the demo working; any other failure is a real error.
  return failed.some((month) => month !== args.failMonth) ? 1 : 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  const usage = error instanceof UsageError;
  const detail = error instanceof Error ? (usage ? error.message : (error.stack ?? error.message)) : String(error);
  process.stderr.write(usage ? `monthly-pipeline: ${detail}\n\n${USAGE}` : `monthly-pipeline: unexpected error: ${detail}\n`);
  process.exitCode = usage ? 2 : 1;
}
