/**
 * The length of a union of time intervals (integer microseconds), fed as
 * stages end: the wall-clock time during which at least one of them ran,
 * whatever they overlap (parallel months, nested stages).
 *
 * Intervals that no later one can overlap are folded into a total: the
 * owner says, with {@link settleBefore}, from when on intervals may still
 * arrive (the earliest start of a stage still open). What stays in the list
 * are the intervals after that instant, so memory follows the stages that
 * overlap the open ones, not the number of executions. Past
 * {@link MAX_OPEN_INTERVALS} the oldest half is folded anyway, and an interval
 * arriving later is counted only from the folded part's end: never twice.
 */
export class IntervalUnion {
  /** Disjoint, sorted by start; `[start, end]` pairs flattened. */
  #open: number[] = [];
  #settledMicros = 0;
  /** The end of the last interval folded into the total; nothing before it is counted again. */
  #settledUntil = Number.NEGATIVE_INFINITY;

  static readonly MAX_OPEN_INTERVALS = 4096;

  /** Adds `[startMicros, endMicros]`. */
  add(startMicros: number, endMicros: number): void {
    const start = Math.max(startMicros, this.#settledUntil);
    if (!(endMicros > start)) return;
    const open = this.#open;
    const n = open.length;
    // The common case, stages one after another: the new interval lies after all others.
    if (n === 0 || start > (open[n - 1] as number)) {
      open.push(start, endMicros);
    } else {
      // Merge with every interval it touches (they sit at the end, most often).
      let i = n - 2;
      while (i >= 0 && (open[i] as number) > endMicros) i -= 2;
      let j = i;
      let lo = start;
      let hi = endMicros;
      while (j >= 0 && (open[j + 1] as number) >= start) {
        lo = Math.min(lo, open[j] as number);
        hi = Math.max(hi, open[j + 1] as number);
        j -= 2;
      }
      // Intervals j+2 .. i (pairs) are replaced by [lo, hi].
      open.splice(j + 2, i - j, lo, hi);
    }
    if (open.length > 2 * IntervalUnion.MAX_OPEN_INTERVALS) {
      this.settleBefore(open[IntervalUnion.MAX_OPEN_INTERVALS] as number);
    }
  }

  /** Folds into the total every interval that ends at or before `micros`: no interval still to come starts before it. */
  settleBefore(micros: number): void {
    const open = this.#open;
    let k = 0;
    while (k < open.length && (open[k + 1] as number) <= micros) {
      this.#settledMicros += (open[k + 1] as number) - (open[k] as number);
      this.#settledUntil = open[k + 1] as number;
      k += 2;
    }
    if (k === open.length) open.length = 0;
    else if (k > 0) open.splice(0, k);
  }

  /** The union's length, µs. */
  get totalMicros(): number {
    let sum = this.#settledMicros;
    for (let k = 0; k < this.#open.length; k += 2) sum += (this.#open[k + 1] as number) - (this.#open[k] as number);
    return sum;
  }
}
