/**
 * Runs an async function on the first call only; every call returns that
 * first call's promise. What `BindOnceFuture` of `@opentelemetry/core` does,
 * kept here so that importing stagetrace does not load core.
 */
export class Once<Args extends unknown[], T> {
  readonly #run: (...args: Args) => Promise<T>;
  #promise: Promise<T> | undefined;

  constructor(run: (...args: Args) => Promise<T>) {
    this.#run = run;
  }

  /** Starts the function (synchronously, as the first call) or returns the promise of the first call; a throw becomes a rejection. */
  call(...args: Args): Promise<T> {
    this.#promise ??= (async () => this.#run(...args))();
    return this.#promise;
  }
}
