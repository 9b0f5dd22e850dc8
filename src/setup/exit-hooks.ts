/** What the exit hooks drive; implemented by start(). */
export interface ExitHookTargets {
  /** Ends open months and stages as interrupted and writes the files. Synchronous: usable from `exit`. */
  interruptSync(reason: string, error?: unknown): void;
  /** Full bounded shutdown: files and OTLP; `reason` is given to scopes still open. Never rejects. */
  shutdown(reason: string): Promise<void>;
  /** A signal arrived while a shutdown was already running: it will end the process once that shutdown is done. */
  signalDuringShutdown(signal: NodeJS.Signals): void;
}

/** The installed hooks, as `shutdown()` drives them. */
export interface ExitHooks {
  /** A shutdown has begun: exit paths no longer start one, but signals are still caught (and kept). */
  beginShutdown(): void;
  /** The signal caught since the shutdown began, if any. */
  readonly caughtSignal: NodeJS.Signals | undefined;
  /**
   * Removes the hooks. A signal caught during the shutdown is then raised
   * again, so the process ends the way it would have without stagetrace
   * (killed by that signal, exit code 128 + n), unless the application
   * listens for it itself.
   */
  finish(): void;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Node's `--unhandled-rejections` mode; only `throw` (default) and `strict` end the process. */
function rejectionsCrash(): boolean {
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  const mode = flags.find((f) => f.startsWith('--unhandled-rejections='))?.split('=')[1];
  return mode === undefined || mode === 'throw' || mode === 'strict';
}

/**
 * Makes every way a process ends leave complete audit files, then lets it end
 * exactly as it would have without stagetrace: killed by the same signal,
 * the same uncaught error printed with exit code 1, the same exit code.
 *
 * - SIGINT/SIGTERM/SIGHUP: interrupt, flush files and OTLP (bounded), then re-raise
 *   the signal — unless the application listens for it too, in which case the
 *   application decides what happens next.
 * - uncaught exception / unhandled rejection: the same, then the error is thrown
 *   again without our listener so Node reports it as usual — unless the
 *   application has its own listener.
 * - `process.exit()`: only synchronous work is possible; the files are written,
 *   the OTLP export of the interrupted spans is not.
 * - the event loop running dry before `shutdown()`: a normal shutdown.
 *
 * A signal is only handled between two turns of the event loop: during a
 * synchronous (CPU-bound) stage it waits until the stage returns. If the
 * program then calls `shutdown()`, the signal is kept and raised again once
 * the shutdown is done, so the process still ends with the signal's exit code.
 */
export function installExitHooks(targets: ExitHookTargets): ExitHooks {
  let ending = false;
  let caughtDuringShutdown: NodeJS.Signals | undefined;

  const onSignal = (signal: NodeJS.Signals) => {
    if (ending) {
      if (caughtDuringShutdown === undefined) {
        caughtDuringShutdown = signal;
        targets.signalDuringShutdown(signal);
      }
      return;
    }
    ending = true;
    targets.interruptSync(`${signal} received`);
    const applicationListens = process.listenerCount(signal) > 1;
    void targets.shutdown('the process is ending').finally(() => {
      uninstall();
      if (!applicationListens) process.kill(process.pid, signal);
    });
  };

  /** Uncaught exceptions and unhandled rejections: the same path, each handed back to Node its own way. */
  const onFatal = (event: 'uncaughtException' | 'unhandledRejection', what: string, value: unknown, handBack: (value: unknown) => void) => {
    const applicationListens = process.listenerCount(event) > 1;
    if (ending) {
      // A second fatal error while ending: hand it to Node without our
      // listeners, or handing it back would only bring it here again.
      if (!applicationListens) {
        uninstall();
        handBack(value);
      }
      return;
    }
    ending = true;
    targets.interruptSync(`${what}: ${describe(value)}`, value);
    if (applicationListens) return;
    void targets.shutdown('the process is ending').finally(() => {
      uninstall();
      handBack(value);
    });
  };
  const onException = (error: unknown) => onFatal('uncaughtException', 'uncaught exception', error, throwAgain);
  const onRejection = (reason: unknown) => onFatal('unhandledRejection', 'unhandled rejection', reason, rejectAgain);

  const onExit = (code: number) => {
    if (ending) return;
    ending = true;
    targets.interruptSync(`process exited with code ${code} before shutdown()`);
  };

  const onBeforeExit = () => {
    if (ending) return;
    ending = true;
    // The loop was empty before this shutdown, so whatever still holds it
    // afterwards is ours (an exporter's retry timer for a dead collector):
    // end the process as it was about to end, with its exit code.
    void targets.shutdown('the program reached its end without calling shutdown()').finally(() => process.exit());
  };

  const crashOnRejection = rejectionsCrash();
  for (const signal of SIGNALS) process.on(signal, onSignal);
  process.on('uncaughtException', onException);
  if (crashOnRejection) process.on('unhandledRejection', onRejection);
  process.on('exit', onExit);
  process.on('beforeExit', onBeforeExit);

  let removed = false;
  return {
    beginShutdown() {
      ending = true;
    },
    get caughtSignal() {
      return caughtDuringShutdown;
    },
    finish() {
      const signal = caughtDuringShutdown;
      const applicationListens = signal !== undefined && process.listenerCount(signal) > 1;
      uninstall();
      if (signal !== undefined && !applicationListens) process.kill(process.pid, signal);
    },
  };
  function uninstall(): void {
    if (removed) return;
    removed = true;
    for (const signal of SIGNALS) process.off(signal, onSignal);
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
    process.off('exit', onExit);
    process.off('beforeExit', onBeforeExit);
  }
}

/** Never throws (a revoked proxy, an object without a prototype); the session redacts and caps the result. */
function describe(error: unknown): string {
  try {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  } catch {
    return `a thrown ${error === null ? 'null' : typeof error}`;
  }
}

/** Hands the error back to Node's own uncaught-exception handling (print, exit code 1). */
function throwAgain(error: unknown): void {
  process.nextTick(() => {
    throw error;
  });
}

/** Hands the reason back to Node's own unhandled-rejection handling. */
function rejectAgain(reason: unknown): void {
  void Promise.reject(reason);
}
