import type { MemoryLevel, ThresholdCrossing } from '../model/memory-crossing.js';
import { hysteresisBytes, type MemoryThresholdLevels } from './memory-limits.js';

export type { CrossingDirection, MemoryLevel, ThresholdCrossing } from '../model/memory-crossing.js';

/** Numeric value of each state, as the `stagetrace.memory.state` gauge reports it. */
export const MEMORY_LEVEL_VALUE: Readonly<Record<MemoryLevel, number>> = { ok: 0, warning: 1, critical: 2 };

/**
 * Tracks RSS against the warning and critical thresholds with hysteresis:
 * a threshold is crossed upward at or above its value, and downward only
 * once RSS falls below it by the margin of {@link hysteresisBytes}. A value
 * hovering at the line therefore yields one crossing, not one per sample.
 * A jump over both thresholds between two samples yields both crossings,
 * lower first, so every real crossing is reported exactly once.
 */
export class ThresholdTracker {
  private state: MemoryLevel = 'ok';
  private readonly warningRearmBytes: number;
  private readonly criticalRearmBytes: number;

  constructor(readonly levels: MemoryThresholdLevels) {
    this.warningRearmBytes = levels.warningBytes - hysteresisBytes(levels.warningBytes);
    this.criticalRearmBytes = levels.criticalBytes - hysteresisBytes(levels.criticalBytes);
  }

  get level(): MemoryLevel {
    return this.state;
  }

  /** Feeds one RSS reading; returns the crossings it caused (usually none). */
  update(rssBytes: number): readonly ThresholdCrossing[] {
    const { warningBytes, criticalBytes } = this.levels;
    // Fast path: the common case is no change.
    if (this.state === 'ok' && rssBytes < warningBytes) return NONE;
    const crossings: ThresholdCrossing[] = [];
    if (this.state === 'ok' && rssBytes >= warningBytes) {
      this.state = 'warning';
      crossings.push({ level: 'warning', direction: 'up', threshold: 'warning', thresholdBytes: warningBytes, rssBytes });
    }
    if (this.state === 'warning' && rssBytes >= criticalBytes) {
      this.state = 'critical';
      crossings.push({ level: 'critical', direction: 'up', threshold: 'critical', thresholdBytes: criticalBytes, rssBytes });
    }
    if (crossings.length > 0) return crossings;
    if (this.state === 'critical' && rssBytes < this.criticalRearmBytes) {
      this.state = 'warning';
      crossings.push({ level: 'warning', direction: 'down', threshold: 'critical', thresholdBytes: criticalBytes, rssBytes });
    }
    if (this.state === 'warning' && rssBytes < this.warningRearmBytes) {
      this.state = 'ok';
      crossings.push({ level: 'ok', direction: 'down', threshold: 'warning', thresholdBytes: warningBytes, rssBytes });
    }
    return crossings.length > 0 ? crossings : NONE;
  }
}

const NONE: readonly ThresholdCrossing[] = Object.freeze([]);
