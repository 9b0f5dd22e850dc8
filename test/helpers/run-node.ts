import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface NodeRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The repository root, for running scripts with the project's tsx. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** tsx's loader by absolute URL, so a child may run in any working directory. */
const TSX_LOADER = pathToFileURL(join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

/**
 * Variables that would point a child at a collector or change its
 * configuration: removed so a test decides them explicitly.
 */
export function cleanEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(env)) {
    if (key.startsWith('OTEL_') || key.startsWith('STAGETRACE_') || key === 'NODE_OPTIONS' || key.startsWith('VITEST')) continue;
    out[key] = value;
  }
  return out;
}

/**
 * Runs a TypeScript script in a real child process (`node --import tsx`),
 * with a clean OTEL_/STAGETRACE_ environment plus `env`, and collects its
 * output. Rejects only if the process cannot be started or outlives `timeoutMs`.
 */
export function runNodeScript(
  script: string,
  options: { args?: string[]; env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {},
): Promise<NodeRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX_LOADER, script, ...(options.args ?? [])], {
      cwd: options.cwd ?? REPO_ROOT,
      env: { ...cleanEnv(process.env), ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not finish within ${options.timeoutMs ?? 60_000} ms\nstderr:\n${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
