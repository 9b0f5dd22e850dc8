/**
 * The benchmark harness with tiny iteration counts, so it cannot rot
 * between benchmark runs. It checks that every comparison runs and prints
 * a result beside its target, not the numbers (those are for BENCHMARKS.md).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

it('npm run bench -- --quick runs every comparison and prints each result beside its target', () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 480_000,
    env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: '', STAGETRACE_LOG_DIR: '' },
  });
  expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
  const results = run.stdout.split('\n').filter((line) => /^(PASS|MISS) /.test(line));
  const names = results.map((line) => line.slice(6, 32).trim());
  expect(names).toEqual([
    'stage vs span + pino',
    'stage overhead (sync)',
    'stage overhead (async)',
    'stage overhead (no files)',
    'exported (proto, no files)',
    'exported (proto, files)',
    'exported (json, no files)',
    'exported (json, files)',
    'loop delay added',
    'logging in a stage',
    'logging outside a month',
    'logging, log records on',
    'memory flatness (heap)',
    'memory flatness (RSS)',
    'burst without loss',
    'collector down',
    'sampler cost',
    'redaction JSON writer',
    'redaction 1 MB',
    'redaction linear',
    'serialisers: stage',
    'serialisers: message',
    'report throughput',
    'report RSS',
    'report linearity',
    'summary sketch (heap)',
    'workers: own session',
    'workers: MessagePort',
    'outage memory',
    'fast start: first stage',
    'fast start: logs off',
    'fast start: import',
  ]);
  for (const line of results) expect(line).toMatch(/target \S/);
  // The burst must lose no audit record even at the smallest size.
  expect(results.find((line) => line.includes('burst without loss'))).toMatch(/^PASS/);
  const json = run.stdout.split('\n').find((line) => line.startsWith('BENCH_JSON '));
  expect(JSON.parse(json?.slice('BENCH_JSON '.length) ?? '[]')).toHaveLength(names.length);
}, 500_000);
