import type { Session } from './session.js';

/**
 * Process-wide session slots, kept on globalThis: an application that loads
 * both the ESM and the CommonJS build (an ESM app with a CommonJS library,
 * say) must still have one session, not one per copy.
 */
export interface SessionSlots {
  /** The session `start()` or `createStagetrace()` began, until `shutdown()` ends it. */
  current: Session | undefined;
  /** The last ended session: `getSessionSummary()` after `shutdown()` reports it. */
  ended: Session | undefined;
  /** A console-only session for code that runs without `start()` (tests, scripts). */
  fallback: Session | undefined;
  /** What setup needs to shut the current session down; opaque here. */
  started: unknown;
}

const SLOTS_KEY = Symbol.for('stagetrace.sessions');
const global = globalThis as Record<symbol, SessionSlots | undefined>;
global[SLOTS_KEY] ??= { current: undefined, ended: undefined, fallback: undefined, started: undefined };

export const sessionRegistry: SessionSlots = global[SLOTS_KEY];
