import { getHeapStatistics } from 'node:v8';

/** One reading of the process's memory, in bytes. */
export interface MemorySample {
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  externalBytes: number;
  arrayBuffersBytes: number;
  /** Process CPU use over the last interval, 0..100 per core summed (like `top`). */
  cpuPercent: number;
  /** Epoch milliseconds of the reading. */
  atMs: number;
}

/** Something that wants every sample, e.g. an open stage tracking its peak. */
export interface SampleListener {
  onSample(sample: MemorySample): void;
}

/**
 * Samples memory on an unref'd timer and keeps the last reading.
 *
 * Why: `process.memoryUsage()` reads /proc and costs ~8 µs, five times a
 * whole span, so stage boundaries use the last sample instead of reading it
 * themselves. Sub-interval stages therefore see a delta of 0; the peak seen
 * while a stage was open is tracked through {@link SampleListener}s.
 */
export class MemorySampler {
  private sample: MemorySample;
  private timer: NodeJS.Timeout | undefined;
  private lastCpu = process.cpuUsage();
  private lastCpuAt = performance.now();
  readonly listeners = new Set<SampleListener>();
  private readonly sampleHooks: ((sample: MemorySample) => void)[] = [];

  constructor(private readonly intervalMs: number) {
    this.sample = this.read();
  }

  /** The last reading; no system call. */
  get latest(): MemorySample {
    return this.sample;
  }

  /** Registers a function called after each sample (threshold checks, gauges). */
  onEachSample(hook: (sample: MemorySample) => void): void {
    this.sampleHooks.push(hook);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.sampleNow(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Takes a fresh sample now (months and shutdown use it; they are rare). */
  sampleNow(): MemorySample {
    const sample = this.read();
    this.sample = sample;
    for (const listener of this.listeners) listener.onSample(sample);
    for (const hook of this.sampleHooks) {
      try {
        hook(sample);
      } catch {
        // A failing observer must not stop sampling.
      }
    }
    return sample;
  }

  private read(): MemorySample {
    const heap = getHeapStatistics();
    const usage = process.memoryUsage();
    const now = performance.now();
    const cpu = process.cpuUsage();
    const elapsedUs = (now - this.lastCpuAt) * 1000;
    const usedUs = cpu.user - this.lastCpu.user + (cpu.system - this.lastCpu.system);
    this.lastCpu = cpu;
    this.lastCpuAt = now;
    return {
      rssBytes: usage.rss,
      heapUsedBytes: heap.used_heap_size,
      heapTotalBytes: heap.total_heap_size,
      externalBytes: usage.external,
      arrayBuffersBytes: usage.arrayBuffers,
      cpuPercent: elapsedUs > 0 ? Math.round((usedUs / elapsedUs) * 1000) / 10 : 0,
      atMs: Date.now(),
    };
  }
}

export const BYTES_PER_MB = 1024 * 1024;

/** Megabytes with one decimal, as the seed writes them. */
export function toMb(bytes: number): number {
  return Math.round((bytes / BYTES_PER_MB) * 10) / 10;
}
