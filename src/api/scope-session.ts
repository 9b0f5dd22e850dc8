import type { Session } from '../session/session.js';
import { sessionRegistry } from '../session/session-registry.js';
import { currentSession } from '../setup/current-session.js';

/**
 * The session a month or stage opens in. Without `start()` that is the
 * console-only session: the code runs, the console prints, and nothing
 * else happens — said once on stderr, since a forgotten `await start()`
 * otherwise looks like a working setup.
 */
export function scopeSession(fn: 'traceMonth' | 'traceStage' | 'startStage'): Session {
  const session = currentSession();
  if (session === sessionRegistry.fallback) {
    const after = sessionRegistry.ended !== undefined;
    session.problems.sayOnce(
      after ? 'scope-after-shutdown' : 'scope-before-start',
      after
        ? `${fn}() ran after shutdown(): its months and stages are only printed, with no audit files and nothing sent to a collector. Call start() again for a new session.`
        : `${fn}() ran before start(): its months and stages are only printed, with no audit files and nothing sent to a collector. Call \`await start()\` (or createStagetrace() with your own NodeSDK) before the first month.`,
    );
  }
  return session;
}
