import type { OpenScope } from './open-scope.js';

/**
 * The months and stages open right now, oldest first, and the stages
 * opened by name (`startStage`, `logProgress({ stageEvent: 'start' })`) so
 * that a later `stageEvent: 'end'` finds the latest of that name.
 */
export class OpenScopes {
  readonly #open = new Set<OpenScope>();
  readonly #byName = new Map<string, OpenScope[]>();

  add(scope: OpenScope): void {
    this.#markOverlaps(scope);
    this.#open.add(scope);
  }

  /** Also remembers the scope under its name, for ending it by name. */
  addNamed(scope: OpenScope): void {
    this.#markOverlaps(scope);
    this.#open.add(scope);
    const list = this.#byName.get(scope.ref.name);
    if (list === undefined) this.#byName.set(scope.ref.name, [scope]);
    else list.push(scope);
  }

  /**
   * Two scopes overlap when their times intersect and neither encloses the
   * other; one of them opens while the other is open, so checking each
   * opening finds every pair. Usually every open scope encloses the new one
   * (its month, its parent stage): one walk up its parents says so.
   */
  #markOverlaps(scope: OpenScope): void {
    let enclosing = 0;
    for (let p = scope.parent; p !== undefined; p = p.parent) if (p.end === undefined) enclosing++;
    if (this.#open.size === enclosing) return;
    for (const other of this.#open) {
      if (scope.isInside(other)) continue;
      other.overlapped = true;
      scope.overlapped = true;
    }
  }

  delete(scope: OpenScope): void {
    this.#open.delete(scope);
    const list = this.#byName.get(scope.ref.name);
    if (list === undefined) return;
    const i = list.lastIndexOf(scope);
    if (i !== -1) list.splice(i, 1);
    if (list.length === 0) this.#byName.delete(scope.ref.name);
  }

  /** The latest open stage started under `name`. */
  latestNamed(name: string): OpenScope | undefined {
    const list = this.#byName.get(name);
    return list === undefined ? undefined : list[list.length - 1];
  }

  get size(): number {
    return this.#open.size;
  }

  /** Oldest first. */
  [Symbol.iterator](): IterableIterator<OpenScope> {
    return this.#open.values();
  }
}
