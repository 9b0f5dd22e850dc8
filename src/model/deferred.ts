/**
 * Something whose package loads on first need instead of when stagetrace is
 * imported: an application without an endpoint never loads an exporter, and
 * `import('stagetrace')` stays close to the api's own cost. Such a
 * component starts loading when it is made and delegates once loaded;
 * start() awaits {@link whenLoaded} before the SDK starts, so only a
 * user-owned SDK (createStagetrace()) can call one earlier, and then it gets
 * the SDK's defaults or waits.
 */
export interface Deferred {
  /** Resolves once loaded; rejects when the package could not be loaded. */
  readonly loaded: Promise<unknown>;
}

/** Resolves when every deferred component among `components` has loaded; rejects with the first that could not. */
export async function whenLoaded(components: readonly unknown[]): Promise<void> {
  await Promise.all(components.map((c) => (c as Partial<Deferred> | undefined)?.loaded));
}

/** `promise`, with `onLoad` run on its value first; a failure nobody awaits does not crash the process. */
export function track<T>(promise: Promise<T>, onLoad: (value: T) => void): Promise<T> {
  const loaded = promise.then((value) => {
    onLoad(value);
    return value;
  });
  loaded.catch(() => undefined);
  return loaded;
}
