/** Memory state: `ok` below warning, then `warning`, then `critical`. */
export type MemoryLevel = 'ok' | 'warning' | 'critical';
export type CrossingDirection = 'up' | 'down';

/** One RSS threshold crossed in one direction. */
export interface ThresholdCrossing {
  /** The state after the crossing. */
  readonly level: MemoryLevel;
  readonly direction: CrossingDirection;
  /** Which threshold was crossed. */
  readonly threshold: 'warning' | 'critical';
  readonly thresholdBytes: number;
  readonly rssBytes: number;
}
