import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One benchmark's outcome, printed beside its target. */
export interface BenchResult {
  name: string;
  /** What is compared, e.g. 'traceStage / bare span'. */
  measure: string;
  value: number;
  unit: string;
  target: string;
  pass: boolean;
  details: Record<string, number | string>;
}

export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/**
 * Runs two sides alternately — A, B, A, B … — after warm-up rounds, so
 * both see the same machine state, and returns each side's per-round values.
 */
export async function alternate(
  rounds: number,
  warmup: number,
  a: () => Promise<number>,
  b: () => Promise<number>,
): Promise<{ a: number[]; b: number[] }> {
  for (let i = 0; i < warmup; i++) {
    await a();
    await b();
  }
  const out = { a: [] as number[], b: [] as number[] };
  for (let i = 0; i < rounds; i++) {
    // Swap the order every round so neither side always runs second.
    if (i % 2 === 0) {
      out.a.push(await a());
      out.b.push(await b());
    } else {
      out.b.push(await b());
      out.a.push(await a());
    }
  }
  return out;
}

export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `stagetrace-bench-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Runs a bench child script with tsx and returns its last stdout line parsed as JSON. */
export function runChild<T>(script: string, args: string[], env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<T> {
  return runNode<T>(script, [...nodeArgs, '--import', 'tsx', script, ...args], { env: { ...process.env, ...env } });
}

/** Runs a bench child that needs no loader (plain JavaScript or a built module) and returns its last stdout line parsed as JSON. */
export function runBuiltChild<T>(script: string, args: string[], cwd?: string): Promise<T> {
  return runNode<T>(script, [script, ...args], { cwd });
}

function runNode<T>(script: string, argv: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string }): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('close', (code) => {
      const last = stdout.trim().split('\n').pop() ?? '';
      try {
        if (code !== 0) throw new Error(`exit code ${code}`);
        resolve(JSON.parse(last) as T);
      } catch (error) {
        reject(new Error(`${script} failed (${(error as Error).message}):\n${stderr.slice(-2000)}\n${stdout.slice(-500)}`));
      }
    });
  });
}

export const fmt = (n: number, digits = 2) => n.toFixed(digits);
