/**
 * A Map that stops growing at `maxEntries`: values beyond it are computed
 * each time instead of cached. Caches of per-name strings and attribute
 * objects use it, so a pipeline that invents a new stage name per call
 * cannot grow memory without bound, while the usual dozen names are a
 * single lookup.
 */
export class CappedMap<K, V> {
  readonly #map = new Map<K, V>();
  readonly #maxEntries: number;

  constructor(maxEntries = 4096) {
    this.#maxEntries = maxEntries;
  }

  /** The cached value of `key`, made by `make` (and kept while there is room) when missing. */
  get(key: K, make: (key: K) => V): V {
    let value = this.#map.get(key);
    if (value === undefined) {
      value = make(key);
      if (this.#map.size < this.#maxEntries) this.#map.set(key, value);
    }
    return value;
  }

  /** The cached value, or undefined. With {@link remember}, for callers that would otherwise allocate a closure per call. */
  peek(key: K): V | undefined {
    return this.#map.get(key);
  }

  /** Caches `value` while there is room, and returns it. */
  remember(key: K, value: V): V {
    if (this.#map.size < this.#maxEntries) this.#map.set(key, value);
    return value;
  }

  get size(): number {
    return this.#map.size;
  }
}
