/**
 * Memoises a string transformation of a few, often repeated, values —
 * stage names, months, labels. A pipeline formats the same dozen names
 * millions of times; the cache turns escaping and quoting into a Map hit.
 * Bounded, so unbounded inputs cannot grow it without limit.
 */
export class StringCache {
  private readonly map = new Map<string, string>();

  constructor(
    private readonly transform: (value: string) => string,
    private readonly maxEntries = 4096,
  ) {}

  get(value: string): string {
    let out = this.map.get(value);
    if (out === undefined) {
      out = this.transform(value);
      if (this.map.size < this.maxEntries) this.map.set(value, out);
    }
    return out;
  }
}
