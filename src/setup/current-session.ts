import type { ResolvedConfig } from '../config/options.js';
import { resolveConfig } from '../config/resolve-config.js';
import type { Session } from '../session/session.js';
import { sessionRegistry } from '../session/session-registry.js';
import { buildSession } from './session-factory.js';

/**
 * The session that months, stages and messages go to. Before `start()` (or
 * `createStagetrace()`) a console-only session creates spans through the
 * global API, so instrumented code runs unchanged in tests and scripts that
 * never start stagetrace.
 */
export function currentSession(): Session {
  return sessionRegistry.current ?? fallbackSession();
}

/** The session a summary describes: the running one, else the last ended one. */
export function summarySession(): Session {
  return sessionRegistry.current ?? sessionRegistry.ended ?? fallbackSession();
}

function fallbackSession(): Session {
  if (sessionRegistry.fallback === undefined) {
    let config: ResolvedConfig;
    try {
      config = resolveConfig({ logDir: false, handleExit: false, progress: false });
    } catch {
      // A bad variable is reported by start(); before it, run on defaults.
      config = resolveConfig({ logDir: false, handleExit: false, progress: false }, {});
    }
    sessionRegistry.fallback = buildSession(config).session;
  }
  return sessionRegistry.fallback;
}
