import { LEVEL_RANK, type LogLevel } from './levels.js';

/**
 * How much the console prints: a log level, or `STAGES` between INFO and
 * WARNING — one line per stage and month end (with its duration) plus
 * warnings and errors, without the start, TIMING and MEMORY_TRACKING lines
 * and INFO messages. The audit files keep everything `logLevel` lets through.
 */
export const CONSOLE_LEVELS = ['DEBUG', 'INFO', 'STAGES', 'WARNING', 'ERROR', 'CRITICAL'] as const;
export type ConsoleLevel = (typeof CONSOLE_LEVELS)[number];

/** Ranks on the log levels' scale; STAGES sits between INFO (1) and WARNING (2). */
export function consoleRank(level: ConsoleLevel): number {
  return level === 'STAGES' ? 1.5 : LEVEL_RANK[level as LogLevel];
}
