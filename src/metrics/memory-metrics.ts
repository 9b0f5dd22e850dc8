import type { Attributes, BatchObservableResult, Counter, Meter } from '@opentelemetry/api';
import { EVENT_ATTR_MEMORY_DIRECTION, EVENT_ATTR_MEMORY_LEVEL } from '../model/attribute-names.js';
import type { MemorySample } from './memory-sampler.js';
import { type CrossingDirection, MEMORY_LEVEL_VALUE, type MemoryLevel } from './memory-thresholds.js';

/**
 * Metric names of the memory observer. RSS is not `process.memory.usage`:
 * host metrics already reports that name, and two sources of one name clash.
 * Heap figures are whole-heap totals, not the per-space `v8js.memory.heap.*`
 * series (the runtime instrumentation reports those), hence our prefix.
 */
export const METRIC_MEMORY_RSS = 'stagetrace.memory.rss';
export const METRIC_MEMORY_HEAP_USED = 'stagetrace.memory.heap.used';
export const METRIC_MEMORY_HEAP_TOTAL = 'stagetrace.memory.heap.total';
export const METRIC_MEMORY_EXTERNAL = 'stagetrace.memory.external';
export const METRIC_MEMORY_ARRAY_BUFFERS = 'stagetrace.memory.array_buffers';
export const METRIC_SYSTEM_MEMORY_UTILIZATION = 'stagetrace.system.memory.utilization';
export const METRIC_PROCESS_CPU_UTILIZATION = 'stagetrace.process.cpu.utilization';
export const METRIC_MEMORY_STATE = 'stagetrace.memory.state';
export const METRIC_MEMORY_THRESHOLD = 'stagetrace.memory.threshold';
export const METRIC_MEMORY_THRESHOLD_CROSSINGS = 'stagetrace.memory.threshold_crossings';

/** Attributes of the threshold event, counter and gauge. */
export const ATTR_THRESHOLD_LEVEL = EVENT_ATTR_MEMORY_LEVEL;
export const ATTR_DIRECTION = EVENT_ATTR_MEMORY_DIRECTION;

/** What the gauges read at collection time; no system call happens there. */
export interface MemoryGaugeSource {
  readonly latest: MemorySample;
  readonly level: MemoryLevel;
  readonly warningBytes: number;
  readonly criticalBytes: number;
}

/**
 * Observable gauges over the sampler's last reading, plus the threshold
 * crossing counter. One batch callback serves every gauge, so a collection
 * costs one pass over a sample that already exists.
 */
export class MemoryMetrics {
  private readonly crossings: Counter;
  private readonly crossingAttrs = new Map<string, Attributes>();

  constructor(meter: Meter, source: MemoryGaugeSource) {
    const bytes = (name: string, description: string) => meter.createObservableGauge(name, { unit: 'By', description });
    const rss = bytes(METRIC_MEMORY_RSS, 'Resident set size of the process.');
    const heapUsed = bytes(METRIC_MEMORY_HEAP_USED, 'V8 heap in use, all spaces.');
    const heapTotal = bytes(METRIC_MEMORY_HEAP_TOTAL, 'V8 heap reserved, all spaces.');
    const external = bytes(METRIC_MEMORY_EXTERNAL, 'Memory of C++ objects bound to JavaScript objects, array buffers included.');
    const arrayBuffers = bytes(METRIC_MEMORY_ARRAY_BUFFERS, 'Memory of ArrayBuffers and SharedArrayBuffers, Node Buffers included.');
    const threshold = bytes(METRIC_MEMORY_THRESHOLD, 'RSS thresholds of the memory observer, by level.');
    const systemUtil = meter.createObservableGauge(METRIC_SYSTEM_MEMORY_UTILIZATION, {
      unit: '1',
      description: "Share of the host's physical memory in use, 0..1.",
    });
    const cpuUtil = meter.createObservableGauge(METRIC_PROCESS_CPU_UTILIZATION, {
      unit: '1',
      description: 'Process CPU use over the last sampling interval; 1 is one core fully busy.',
    });
    // A state, not a ratio: unit '1' would make Prometheus call it `_ratio`.
    const state = meter.createObservableGauge(METRIC_MEMORY_STATE, {
      unit: '{state}',
      description: 'Memory state against the RSS thresholds: 0 ok, 1 warning, 2 critical.',
    });
    const warningAttrs: Attributes = { [ATTR_THRESHOLD_LEVEL]: 'warning' };
    const criticalAttrs: Attributes = { [ATTR_THRESHOLD_LEVEL]: 'critical' };
    meter.addBatchObservableCallback(
      (r: BatchObservableResult) => {
        const s = source.latest;
        r.observe(rss, s.rssBytes);
        r.observe(heapUsed, s.heapUsedBytes);
        r.observe(heapTotal, s.heapTotalBytes);
        r.observe(external, s.externalBytes);
        r.observe(arrayBuffers, s.arrayBuffersBytes);
        r.observe(systemUtil, s.systemMemoryUtilization);
        r.observe(cpuUtil, s.cpuPercent / 100);
        r.observe(state, MEMORY_LEVEL_VALUE[source.level]);
        r.observe(threshold, source.warningBytes, warningAttrs);
        r.observe(threshold, source.criticalBytes, criticalAttrs);
      },
      [rss, heapUsed, heapTotal, external, arrayBuffers, systemUtil, cpuUtil, state, threshold],
    );
    this.crossings = meter.createCounter(METRIC_MEMORY_THRESHOLD_CROSSINGS, {
      unit: '{crossing}',
      description: 'RSS threshold crossings, by the state entered and the direction.',
    });
  }

  crossed(level: MemoryLevel, direction: CrossingDirection): void {
    const key = `${level}:${direction}`;
    let attrs = this.crossingAttrs.get(key);
    if (attrs === undefined) {
      attrs = { [ATTR_THRESHOLD_LEVEL]: level, [ATTR_DIRECTION]: direction };
      this.crossingAttrs.set(key, attrs);
    }
    this.crossings.add(1, attrs);
  }
}
