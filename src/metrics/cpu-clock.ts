/** Process CPU time so far, user + system, µs. */
export interface CpuTime {
  /** `atMs`: the caller's own clock reading of now (any monotonic milliseconds), so that no second one is taken. */
  nowMicros(atMs: number): number;
}

/** How long one reading of `process.cpuUsage()` is reused, ms: the most a stage boundary's CPU figure can be behind. */
export const CPU_READING_REUSE_MS = 0.5;

/**
 * The process's CPU time (user + system, every thread) for stage boundaries.
 *
 * Why the reuse: `process.cpuUsage()` is a `getrusage` system call, 1–3 µs
 * (more than a bare span), and a stage needs two. A reading less than
 * {@link CPU_READING_REUSE_MS} old is used again instead, so a loop of tiny
 * stages pays one call per 0.5 ms, not two per stage, and a stage's CPU
 * figure is off by at most that much CPU at each end.
 */
export class CpuClock implements CpuTime {
  #micros = 0;
  #atMs = Number.NEGATIVE_INFINITY;

  nowMicros(atMs: number): number {
    if (atMs - this.#atMs >= CPU_READING_REUSE_MS || atMs < this.#atMs) {
      const usage = process.cpuUsage();
      this.#micros = usage.user + usage.system;
      this.#atMs = atMs;
    }
    return this.#micros;
  }
}
