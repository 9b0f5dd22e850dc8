/** What the exit hooks drive; implemented by start(). */
export interface ExitHookTargets {
  /** Ends open months and stages as interrupted and writes the files. Synchronous: usable from `exit`. */
  interruptSync(reason: string, error?: unknown): void;
  /** Full bounded shutdown: files and OTLP; `reason` is given to scopes still open. Never rejects. */
  shutdown(reason: string): Promise<void>;
  /** A signal arrived while a shutdown was already running: it will end the process once that shutdown is done. */
  signalDuringShutdown(signal: NodeJS.Signals): void;
  /** A signal arrived that the application listens for itself: its months and stages go on, as the application decides. */
  signalForApplication(signal: NodeJS.Signals): void;
  /** A second signal arrived during the shutdown: say so and write what is buffered, synchronously; the process ends next. */
  quitNow(signal: NodeJS.Signals): void;
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
 *   the signal. A second signal during that shutdown ends the process at once
 *   (as a second Ctrl-C does in most tools), after a synchronous write of the
 *   files. When the application listens for the signal itself, it decides
 *   what happens next, and stagetrace interrupts nothing: a worker that drains
 *   on SIGTERM (finishes its running stage, then calls `shutdown()`) records
 *   that stage as it ends. The signal is noted in the files; if the process
 *   exits with months or stages still open, they end `interrupted` naming it.
 * - uncaught exception / unhandled rejection: the same, then the error is thrown
 *   again without our listener so Node reports it as usual. When the
 *   application has its own listener, the error is the application's to
 *   handle and the process goes on: nothing is interrupted.
 * - `process.exit()`: only synchronous work is possible; the files are written,
 *   the OTLP export of the interrupted spans is not.
 * - the event loop running dry before `shutdown()`: a normal shutdown, once
 *   the work that the application's own `beforeExit` listeners started is done.
 *
 * A signal is only handled between two turns of the event loop: during a
 * synchronous (CPU-bound) stage it waits until the stage returns. If the
 * program then calls `shutdown()`, the signal is kept and raised again once
 * the shutdown is done, so the process still ends with the signal's exit code.
 */
export function installExitHooks(targets: ExitHookTargets): ExitHooks {
  let ending = false;
  /** Signals received since the process began ending; the second one ends it at once. */
  let signalsWhileEnding = 0;
  let caughtDuringShutdown: NodeJS.Signals | undefined;
  /** A `beforeExit` is being looked at: whether the application started more work in its own listeners. */
  let probing = false;
  /** The last signal the application took over, named when the process then exits with scopes open. */
  let applicationSignal: NodeJS.Signals | undefined;

  const onSignal = (signal: NodeJS.Signals) => {
    if (ending) {
      signalsWhileEnding++;
      if (signalsWhileEnding > 1) {
        quitNow(signal);
      } else if (caughtDuringShutdown === undefined) {
        caughtDuringShutdown = signal;
        targets.signalDuringShutdown(signal);
      }
      return;
    }
    if (process.listenerCount(signal) > 1) {
      // The application's listener decides; ending its stages here would cut short a graceful drain.
      applicationSignal = signal;
      targets.signalForApplication(signal);
      return;
    }
    ending = true;
    signalsWhileEnding = 1;
    targets.interruptSync(`${signal} received`);
    void targets.shutdown('the process is ending').finally(() => {
      uninstall();
      process.kill(process.pid, signal);
    });
  };

  /** "Quit now": the files as they are, then the signal's own ending, without waiting for OTLP. */
  const quitNow = (signal: NodeJS.Signals) => {
    targets.quitNow(signal);
    const applicationListens = process.listenerCount(signal) > 1;
    uninstall();
    if (!applicationListens) process.kill(process.pid, signal);
  };

  /** Uncaught exceptions and unhandled rejections: the same path, each handed back to Node its own way. */
  const onFatal = (event: 'uncaughtException' | 'unhandledRejection', what: string, value: unknown, handBack: (value: unknown) => void) => {
    // The application's own listener handles it and the process goes on
    // (or ends through process.exit() or a signal, which are hooked too).
    if (process.listenerCount(event) > 1) return;
    if (ending) {
      // A second fatal error while ending: hand it to Node without our
      // listeners, or handing it back would only bring it here again.
      uninstall();
      handBack(value);
      return;
    }
    ending = true;
    targets.interruptSync(`${what}: ${describe(value)}`, value);
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
    const after = applicationSignal === undefined ? '' : `${applicationSignal} received, then the `;
    targets.interruptSync(`${after}process exited with code ${code} before shutdown()`);
  };

  const onBeforeExit = () => {
    if (ending || probing) return;
    // Listeners of the application run after this one (it is added first):
    // what they start (an upload, a flush) shows as new active resources by
    // the next turn. Then Node emits beforeExit again once that work is done.
    probing = true;
    const before = process.getActiveResourcesInfo();
    setImmediate(() => {
      probing = false;
      if (ending || startedMore(before, process.getActiveResourcesInfo())) return;
      ending = true;
      // The loop was empty before this shutdown, so whatever still holds it
      // afterwards is ours (an exporter's retry timer for a dead collector):
      // end the process as it was about to end, with its exit code.
      void targets.shutdown('the program reached its end without calling shutdown()').finally(() => process.exit());
    });
  };

  const crashOnRejection = rejectionsCrash();
  for (const signal of SIGNALS) process.on(signal, onSignal);
  process.on('uncaughtException', onException);
  if (crashOnRejection) process.on('unhandledRejection', onRejection);
  process.on('exit', onExit);
  process.prependListener('beforeExit', onBeforeExit);

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

/** True when `after` holds a resource (timer, request, socket) that `before` did not: work was started in between. */
function startedMore(before: string[], after: string[]): boolean {
  const counts = new Map<string, number>();
  for (const kind of before) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  for (const kind of after) {
    const left = counts.get(kind) ?? 0;
    if (left === 0) return true;
    counts.set(kind, left - 1);
  }
  return false;
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
