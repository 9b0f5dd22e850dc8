import { freemem, totalmem } from 'node:os';
import { epochNowMs } from '../model/clock.js';

/** One reading of the process's memory, in bytes. */
export interface MemorySample {
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  externalBytes: number;
  arrayBuffersBytes: number;
  /** Process CPU use over the last interval, 0..100 per core summed (like `top`). */
  cpuPercent: number;
  /** Share of the host's physical memory in use, 0..1. */
  systemMemoryUtilization: number;
  /** Epoch milliseconds of the reading. */
  atMs: number;
}

/** Something that wants every sample, e.g. an open stage tracking its peak. */
export interface SampleListener {
  onSample(sample: MemorySample): void;
}

const TOTAL_MEMORY_BYTES = totalmem();

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

  constructor(readonly intervalMs: number) {
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

  /** Starts the timer and takes a first sample, so observers see the starting state at once. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.sampleNow(), this.intervalMs);
    this.timer.unref();
    this.sampleNow();
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

  /**
   * Samples now only when the timer has missed its turn. A synchronous stage
   * blocks the event loop, so no timer sample is taken while it runs; its end
   * then reads a fresh sample instead of one from before it started. When the
   * timer keeps up this costs one clock read.
   */
  refreshIfStale(): MemorySample {
    if (this.timer !== undefined && epochNowMs() - this.sample.atMs >= this.intervalMs) return this.sampleNow();
    return this.sample;
  }

  private read(): MemorySample {
    // memoryUsage() already carries V8's heap figures; one call, not two.
    const usage = process.memoryUsage();
    const now = performance.now();
    const cpu = process.cpuUsage();
    const elapsedUs = (now - this.lastCpuAt) * 1000;
    const usedUs = cpu.user - this.lastCpu.user + (cpu.system - this.lastCpu.system);
    this.lastCpu = cpu;
    this.lastCpuAt = now;
    return {
      rssBytes: usage.rss,
      heapUsedBytes: usage.heapUsed,
      heapTotalBytes: usage.heapTotal,
      externalBytes: usage.external,
      arrayBuffersBytes: usage.arrayBuffers,
      cpuPercent: elapsedUs > 0 ? Math.round((usedUs / elapsedUs) * 1000) / 10 : 0,
      systemMemoryUtilization: TOTAL_MEMORY_BYTES > 0 ? 1 - freemem() / TOTAL_MEMORY_BYTES : 0,
      atMs: epochNowMs(),
    };
  }
}
