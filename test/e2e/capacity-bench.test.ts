/**
 * The capacity benchmark (bench/capacity.ts) against the real stack, in its
 * quick mode, so that the harness behind BENCHMARKS.md's collector-tier
 * figures cannot rot: every kind of step runs and reports what it measured.
 * The numbers themselves are for BENCHMARKS.md, not asserted.
 */
import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/run-node.js';

it('npm run bench:capacity -- --quick runs each step and reports spans/s, drops, CPU and RSS', () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/capacity.ts', '--quick'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 240_000,
    env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: '', STAGETRACE_LOG_DIR: '' },
  });
  expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
  const steps = run.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(steps.map((s) => `${s.bench}/${s.protocol ?? s.processes}`)).toEqual([
    'one process/http/protobuf',
    'one process/http/json',
    'one collector/2',
    'agents and gateway/2',
  ]);
  for (const step of steps) {
    expect(step.deliveredPerS, JSON.stringify(step)).toEqual(expect.any(Number));
    expect(step.deliveredPerS as number).toBeGreaterThan(0);
    expect(step.dropped).toEqual(expect.any(Number));
  }
  const gateway = steps[3]?.load as Record<string, { cpuPercent: number; peakRssMb: number }>;
  expect(Object.keys(gateway).sort()).toEqual(['jaeger', 'otelcol-agent-1', 'otelcol-agent-2', 'otelcol-gateway']);
  for (const usage of Object.values(gateway)) expect(usage.peakRssMb).toBeGreaterThan(0);
}, 300_000);
