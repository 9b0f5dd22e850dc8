/**
 * Real service processes for the end-to-end tests: free loopback ports,
 * bounded waits for health endpoints, and a stop by pid that escalates to
 * SIGKILL. Output goes to a log file per process, quoted when something fails.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** `count` distinct free TCP ports on 127.0.0.1, chosen by the kernel. */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
    }
    return servers.map((s) => (s.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs` with `describe()`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  { timeoutMs = 30_000, intervalMs = 200, describe = () => '' }: { timeoutMs?: number; intervalMs?: number; describe?: () => string } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? ` Last error: ${lastError.message}.` : '';
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.${cause}${describe()}`);
    }
    await sleep(intervalMs);
  }
}

/** A service started for the tests; `stop()` ends it by pid. */
export class ServiceProcess {
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  #exitInfo: string | undefined;

  private constructor(
    readonly name: string,
    readonly logFile: string,
    child: ChildProcess,
  ) {
    this.#child = child;
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#exitInfo = signal ? `signal ${signal}` : `code ${code}`;
        resolve();
      });
      child.once('error', (error) => {
        this.#exitInfo = `failed to start: ${error.message}`;
        resolve();
      });
    });
    running.add(this);
  }

  static start(name: string, command: string, args: string[], options: { env?: Record<string, string>; logFile: string }): ServiceProcess {
    const log = createWriteStream(options.logFile);
    const child = spawn(command, args, { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    return new ServiceProcess(name, options.logFile, child);
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Set once the process has exited (or failed to start). */
  get exitInfo(): string | undefined {
    return this.#exitInfo;
  }

  /** The end of the process's output, for error messages. */
  tail(lines = 30): string {
    let text: string;
    try {
      text = readFileSync(this.logFile, 'utf8');
    } catch {
      return `(no output file ${this.logFile})`;
    }
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  }

  /** What went wrong, for a failure message: exit status and the last output lines. */
  describe(): string {
    const status = this.#exitInfo === undefined ? 'still running' : `exited (${this.#exitInfo})`;
    return `\n--- ${this.name} (pid ${this.pid}, ${status}); last output from ${this.logFile}:\n${this.tail()}\n---`;
  }

  /** Waits until `url` answers 200, failing early if the process exits. */
  async waitHealthy(url: string, timeoutMs = 30_000): Promise<void> {
    await waitFor(
      `${this.name} to answer 200 at ${url}`,
      async () => {
        if (this.#exitInfo !== undefined) throw new Error(`${this.name} exited (${this.#exitInfo})`);
        const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
        await response.arrayBuffer();
        return response.status === 200 ? true : undefined;
      },
      { timeoutMs, describe: () => this.describe() },
    );
  }

  /** SIGTERM by pid, SIGKILL after `graceMs`; resolves once the process is gone. Idempotent. */
  async stop(graceMs = 10_000): Promise<void> {
    running.delete(this);
    const pid = this.#child.pid;
    if (pid === undefined || this.#exitInfo !== undefined) return;
    signal(pid, 'SIGTERM');
    const exitedInTime = await Promise.race([this.#exited.then(() => true), sleep(graceMs).then(() => false)]);
    if (!exitedInTime) {
      signal(pid, 'SIGKILL');
      await this.#exited;
    }
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

/** Every service not yet stopped: killed if the test process exits without stopping them. */
const running = new Set<ServiceProcess>();
process.once('exit', () => {
  for (const service of running) if (service.pid !== undefined) signal(service.pid, 'SIGKILL');
});
