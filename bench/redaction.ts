/**
 * 7. Redaction cost on hostile input. A 1 MB value of shapes that once made
 * the redaction patterns backtrack (minutes of CPU for one error message),
 * through `scrubText` as stagetrace calls it (cut at 64 KiB first), through
 * `toErrorInfo` for a thrown 1 MB message, and through the scan alone with
 * the cut lifted at 256 KiB and 1 MiB: a linear scan takes ~4× as long for
 * 4× the text, a quadratic one 16×.
 */
import { configure } from 'safe-stable-stringify';
import { toErrorInfo } from '../src/model/error-info.js';
import { REDACTED, Redactor } from '../src/model/redaction.js';
import { type BenchResult, median } from './lib.js';

const MB = 1 << 20;

/** Text of about `size` characters in each shape. */
const shapes: Record<string, (size: number) => string> = {
  'a…a=1': (size) => `${'a'.repeat(size - 2)}=1`,
  'sha256=f…f': (size) => `sha256=${'f'.repeat(size - 7)}`,
  'Error: m…m + stack': (size) => `Error: ${'m'.repeat(size - 40)}\n    at file:///app/x.js:1:1`,
  'x://a: repeated': (size) => 'x://a:'.repeat(Math.ceil(size / 6)),
  'password= repeated': (size) => 'password='.repeat(Math.ceil(size / 9)),
  'URLs with passwords': (size) => 'GET https://bob:p@ss/w0rd@db.example.com/x?X-Amz-Signature=abc&a=1 ok; '.repeat(Math.ceil(size / 70)),
  'prose with colons': (size) => 'Error: stage failed at 12:30:45, rows: 42, file_key: raw/a.csv '.repeat(Math.ceil(size / 63)),
  'u: a:b@ repeated': (size) => ' u: a:b@'.repeat(Math.ceil(size / 8)),
  'connection strings': (size) => 'to etl:hunter2@db.internal:5432/w ok; '.repeat(Math.ceil(size / 38)),
};

/** Median and fastest of `rounds` timed calls. */
function time(rounds: number, run: () => unknown): { median: number; min: number } {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    run();
    times.push(performance.now() - started);
  }
  return { median: median(times), min: Math.min(...times) };
}

export async function redaction(quick: boolean): Promise<BenchResult[]> {
  const redactor = new Redactor();
  const rounds = quick ? 3 : 25;
  // Warm-up: the JIT compiles the scan before anything is measured.
  for (const make of Object.values(shapes)) redactor.scrubText(make(64 * 1024), Number.POSITIVE_INFINITY);

  const capped: Record<string, number> = {};
  const ratios: Record<string, number> = {};
  for (const [name, make] of Object.entries(shapes)) {
    const big = make(MB);
    capped[name] = time(rounds, () => redactor.scrubText(big)).median;
    const quarter = make(MB / 4);
    // The fastest round of each: the ratio is about the algorithm, not about what else the machine was doing.
    const uncappedQuarter = time(rounds, () => redactor.scrubText(quarter, Number.POSITIVE_INFINITY)).min;
    const uncappedFull = time(rounds, () => redactor.scrubText(big, Number.POSITIVE_INFINITY)).min;
    ratios[name] = uncappedFull / Math.max(uncappedQuarter, 1e-3);
    ratios[`${name} ms`] = uncappedFull;
  }
  const errorMs = time(rounds, () => toErrorInfo(new Error(`${'m'.repeat(MB)} https://u:S@h/`), redactor)).median;
  const worstCapped = Math.max(...Object.values(capped), errorMs);
  const worstRatio = Math.max(...Object.keys(shapes).map((name) => ratios[name] as number));

  const typical = 'Uploading to https://b.s3.amazonaws.com/out.csv?X-Amz-Signature=TOPSECRET&partNumber=2';
  const plain = 'month 2024-01 stage 3 wrote 1200 rows';
  const calls = quick ? 10_000 : 1_000_000;
  const perCallNs = (text: string) => {
    const started = performance.now();
    for (let i = 0; i < calls; i++) redactor.scrubText(text);
    return ((performance.now() - started) * 1e6) / calls;
  };

  const json = jsonWriterAgainstLibrary(redactor, quick);
  return [
    json,
    {
      name: 'redaction 1 MB',
      measure: 'worst 1 MB value, scrubText / toErrorInfo',
      value: worstCapped,
      unit: 'ms',
      target: '< 50',
      pass: worstCapped < 50,
      details: {
        ...Object.fromEntries(Object.entries(capped).map(([name, ms]) => [name, Number(ms.toFixed(3))])),
        'toErrorInfo(Error(1 MB))': Number(errorMs.toFixed(3)),
        'short message with URL ns/call': Math.round(perCallNs(typical)),
        'plain message ns/call': Math.round(perCallNs(plain)),
      },
    },
    {
      name: 'redaction linear',
      measure: 'scan without the cut: 1 MiB / 256 KiB time',
      value: worstRatio,
      unit: '× (4 = linear)',
      target: '< 6',
      pass: worstRatio < 6,
      details: Object.fromEntries(Object.entries(ratios).map(([name, v]) => [name, Number(v.toFixed(2))])),
    },
  ];
}

/** Context values as pipelines pass them: small, nested, a secret key and a URL with a password among them. */
const CONTEXTS: unknown[] = [
  { file_key: 's3://bucket/raw/2024-01/trades.csv', rows: 120_000, columns: ['ts', 'sym', 'px', 'qty'] },
  { source: { db: 'postgres://etl:hunter2@db.internal:5432/warehouse', table: 'trades', password: 'hunter2' }, retries: 2 },
  {
    batch: {
      id: 42,
      parts: [
        { n: 1, bytes: 1024 },
        { n: 2, bytes: 2048 },
      ],
      started: '2024-01-01T00:00:00Z',
    },
    api_key: 'k-123',
  },
  { note: 'plain text without anything secret in it, a little longer than most', ok: true, ratio: 0.75 },
];

/**
 * The hand-written JSON writer (redactor.toJsonText) against safe-stable-stringify with a redacting replacer
 * doing the same redaction (secret keys, scrubbed strings, depth 8, circular marker), side by side in one run.
 * The library has no output budget: a 10-million-item array is written whole, where the writer stops at maxChars.
 */
function jsonWriterAgainstLibrary(redactor: Redactor, quick: boolean): BenchResult {
  const stringify = configure({ circularValue: '[Circular]', maximumDepth: 8, deterministic: false, bigint: true });
  const replacer = (key: string, value: unknown) => {
    if (key !== '' && redactor.isSecretKey(key)) return REDACTED;
    return typeof value === 'string' ? redactor.scrubText(value) : value;
  };
  const calls = quick ? 20_000 : 400_000;
  const loop = (run: (value: unknown) => unknown) => () => {
    const started = performance.now();
    for (let i = 0; i < calls; i++) run(CONTEXTS[i & 3]);
    return ((performance.now() - started) * 1e6) / calls;
  };
  const writer = loop((value) => redactor.toJsonText(value));
  const library = loop((value) => stringify(value, replacer));
  writer();
  library();
  const rounds = quick ? 3 : 9;
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < rounds; i++) {
    if (i % 2 === 0) {
      a.push(writer());
      b.push(library());
    } else {
      b.push(library());
      a.push(writer());
    }
  }
  const ratio = median(a.map((ns, i) => ns / (b[i] as number)));
  // One context value no pipeline should pass, and some do: a whole column. The writer stops at its budget.
  const column = Array.from({ length: 1_000_000 }, (_, i) => `row-${i}`);
  const once = (run: () => unknown) => {
    const started = performance.now();
    const text = run() as string;
    return { ms: performance.now() - started, chars: text.length };
  };
  const writerColumn = once(() => redactor.toJsonText(column));
  const libraryColumn = once(() => stringify(column, replacer));
  return {
    name: 'redaction JSON writer',
    measure: 'toJsonText / safe-stable-stringify with a redacting replacer (context objects)',
    value: ratio,
    unit: '×',
    target: '≤ 1.1 keeps the writer',
    pass: ratio <= 1.1,
    details: {
      'toJsonText ns/call': Math.round(median(a)),
      'safe-stable-stringify ns/call': Math.round(median(b)),
      '1M-item array: toJsonText ms': Number(writerColumn.ms.toFixed(2)),
      '1M-item array: toJsonText chars': writerColumn.chars,
      '1M-item array: safe-stable-stringify ms': Number(libraryColumn.ms.toFixed(2)),
      '1M-item array: safe-stable-stringify chars': libraryColumn.chars,
    },
  };
}
