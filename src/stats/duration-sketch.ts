/**
 * A mergeable quantile sketch of non-negative values (DDSketch's log-linear
 * mapping). Bucket `i` counts the values in `(γ^(i-1), γ^i]` with
 * `γ = (1 + α) / (1 - α)`, so every quantile it returns is within a relative
 * error of α of the exact value at that rank, whatever the distribution.
 *
 * Why not a list of durations: its memory grows with the run. Here memory
 * depends only on the spread of the values: from 1 µs to 11 days at 1 % is
 * some 1,500 buckets (12 KB), however many values were recorded. Two sketches
 * with the same α merge exactly, and feeding the same values in any order
 * gives the same sketch, so a summary rebuilt from the audit files reports
 * the very percentiles the live session did.
 */
export class DurationSketch {
  /** α: the bound on the relative error of every quantile. */
  static readonly RELATIVE_ERROR = 0.01;
  /** Values at or below this count as zero (reported as 0). */
  static readonly MIN_VALUE = 1e-9;

  static readonly #gamma = (1 + DurationSketch.RELATIVE_ERROR) / (1 - DurationSketch.RELATIVE_ERROR);
  static readonly #lnGamma = Math.log(DurationSketch.#gamma);

  /** counts[k] is bucket `#offset + k`. */
  #counts = new Float64Array(0);
  #offset = 0;
  #zeroCount = 0;
  #count = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = Number.NEGATIVE_INFINITY;

  /** Values recorded. */
  get count(): number {
    return this.#count;
  }

  /** Smallest value recorded (exact); 0 when empty. */
  get min(): number {
    return this.#count === 0 ? 0 : this.#min;
  }

  /** Largest value recorded (exact); 0 when empty. */
  get max(): number {
    return this.#count === 0 ? 0 : this.#max;
  }

  /** Records one value. NaN is ignored; negative values count as zero. */
  add(value: number): void {
    if (Number.isNaN(value)) return;
    if (value < 0) value = 0;
    this.#count++;
    if (value < this.#min) this.#min = value;
    if (value > this.#max) this.#max = value;
    if (value <= DurationSketch.MIN_VALUE) {
      this.#zeroCount++;
      return;
    }
    const index = Math.ceil(Math.log(value) / DurationSketch.#lnGamma);
    this.#grow(index, index);
    this.#counts[index - this.#offset] = (this.#counts[index - this.#offset] as number) + 1;
  }

  /**
   * The value at quantile `q` (0..1): within {@link RELATIVE_ERROR} of the
   * exact value at rank `⌊q · (count − 1)⌋` of the sorted values. 0 when empty.
   */
  quantile(q: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.floor(Math.min(1, Math.max(0, q)) * (this.#count - 1));
    // The ends are known exactly.
    if (rank === 0) return this.#min;
    if (rank === this.#count - 1) return this.#max;
    let seen = this.#zeroCount;
    if (rank < seen) return this.#min;
    const counts = this.#counts;
    for (let k = 0; k < counts.length; k++) {
      seen += counts[k] as number;
      if (rank < seen) {
        const upper = DurationSketch.#gamma ** (this.#offset + k);
        // The bucket's centre in relative terms: at most α from either bound.
        const value = (2 * upper) / (1 + DurationSketch.#gamma);
        return Math.min(this.#max, Math.max(this.#min, value));
      }
    }
    return this.#max;
  }

  /** Adds another sketch's values to this one (exact: same buckets). */
  merge(other: DurationSketch): void {
    if (other.#count === 0) return;
    this.#count += other.#count;
    this.#zeroCount += other.#zeroCount;
    if (other.#min < this.#min) this.#min = other.#min;
    if (other.#max > this.#max) this.#max = other.#max;
    const theirs = other.#counts;
    if (theirs.length === 0) return;
    this.#grow(other.#offset, other.#offset + theirs.length - 1);
    const shift = other.#offset - this.#offset;
    for (let k = 0; k < theirs.length; k++) this.#counts[k + shift] = (this.#counts[k + shift] as number) + (theirs[k] as number);
  }

  /** Buckets in use, for tests and the memory benchmark. */
  get bucketCount(): number {
    return this.#counts.length;
  }

  /** Makes room for buckets `low..high`, with slack so a slowly widening range does not copy on every value. */
  #grow(low: number, high: number): void {
    const counts = this.#counts;
    const empty = counts.length === 0;
    const end = this.#offset + counts.length; // exclusive
    if (!empty && low >= this.#offset && high < end) return;
    const slack = 16;
    const newOffset = empty || low < this.#offset ? low - slack : this.#offset;
    const newEnd = empty || high >= end ? high + 1 + slack : end;
    const next = new Float64Array(newEnd - newOffset);
    if (!empty) next.set(counts, this.#offset - newOffset);
    this.#counts = next;
    this.#offset = newOffset;
  }
}
