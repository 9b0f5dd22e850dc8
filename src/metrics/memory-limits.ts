import { totalmem } from 'node:os';
import { BYTES_PER_MB } from '../model/units.js';

/** Default warning level: share of the memory available to the process. */
export const DEFAULT_WARNING_RATIO = 0.7;
/** Default critical level: share of the memory available to the process. */
export const DEFAULT_CRITICAL_RATIO = 0.9;
/** Re-arm margin below a threshold: this share of it, or {@link HYSTERESIS_MIN_BYTES}, whichever is larger. */
export const HYSTERESIS_RATIO = 0.05;
export const HYSTERESIS_MIN_BYTES = 32 * BYTES_PER_MB;

/**
 * The memory this process may use: the cgroup (container) limit when one is
 * set, else the machine's physical memory. Node reports "no limit" as 0 or
 * as a huge number, so only a limit below physical memory counts.
 */
export function availableMemoryBytes(constrained: number | undefined = process.constrainedMemory?.(), total: number = totalmem()): number {
  if (constrained !== undefined && constrained > 0 && constrained < total) return constrained;
  return total;
}

/** RSS thresholds in bytes. */
export interface MemoryThresholdLevels {
  warningBytes: number;
  criticalBytes: number;
  /** What the defaults were derived from. */
  availableBytes: number;
}

/**
 * Thresholds from the options, the rest derived from the available memory:
 * warning 70 %, critical 90 %. When only one is set and the derived other
 * would invert the pair, the other is scaled from the given one by 90/70.
 */
export function resolveThresholds(
  warningMb: number | undefined,
  criticalMb: number | undefined,
  availableBytes: number = availableMemoryBytes(),
): MemoryThresholdLevels {
  let warningBytes = warningMb === undefined ? undefined : warningMb * BYTES_PER_MB;
  let criticalBytes = criticalMb === undefined ? undefined : criticalMb * BYTES_PER_MB;
  const ratio = DEFAULT_CRITICAL_RATIO / DEFAULT_WARNING_RATIO;
  if (warningBytes === undefined && criticalBytes === undefined) {
    warningBytes = availableBytes * DEFAULT_WARNING_RATIO;
    criticalBytes = availableBytes * DEFAULT_CRITICAL_RATIO;
  } else if (warningBytes === undefined) {
    warningBytes = Math.min(availableBytes * DEFAULT_WARNING_RATIO, (criticalBytes as number) / ratio);
  } else if (criticalBytes === undefined) {
    criticalBytes = Math.max(availableBytes * DEFAULT_CRITICAL_RATIO, warningBytes * ratio);
  }
  return { warningBytes: Math.round(warningBytes), criticalBytes: Math.round(criticalBytes as number), availableBytes };
}

/** How far below a threshold RSS must fall before a new upward crossing counts. */
export function hysteresisBytes(thresholdBytes: number): number {
  return Math.max(thresholdBytes * HYSTERESIS_RATIO, HYSTERESIS_MIN_BYTES);
}
