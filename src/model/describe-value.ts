const MAX_SHOWN_CHARS = 80;

/**
 * A short rendering of a bad value for an error message. Never throws, not
 * even for proxies or objects with hostile getters, and never prints more
 * than {@link MAX_SHOWN_CHARS} characters of a string.
 */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > MAX_SHOWN_CHARS ? `${value.slice(0, MAX_SHOWN_CHARS)}…` : value);
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
      return `${value}n (a BigInt)`;
    case 'boolean':
      return String(value);
    case 'undefined':
      return 'undefined';
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
  }
  if (value === null) return 'null';
  try {
    if (Array.isArray(value)) return `an array of length ${value.length}`;
    if (value instanceof Date) return `Date(${Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString()})`;
    const proto = Object.getPrototypeOf(value);
    if (proto === null || Object.getPrototypeOf(proto) === null) return 'an object';
    const name = typeof proto.constructor === 'function' ? proto.constructor.name : '';
    return name ? `an instance of ${name.slice(0, MAX_SHOWN_CHARS)}` : 'an object';
  } catch {
    return 'an object that cannot be inspected';
  }
}
