import { createRequire } from 'node:module';
import { isAbsolute } from 'node:path';

/**
 * This module's own file, the place stagetrace's peer packages are resolved
 * from (as an `import` of them from here would be). One source serves the ES module and
 * the CommonJS build, so `import.meta` cannot be named: the stack tells,
 * in both. (`__filename` is only a fallback: `node -e` sets a global one.)
 */
function ownFile(): string | undefined {
  const { prepareStackTrace, stackTraceLimit } = Error;
  try {
    Error.stackTraceLimit = 1;
    Error.prepareStackTrace = (_error, sites) => sites;
    const holder: { stack?: NodeJS.CallSite[] } = {};
    Error.captureStackTrace(holder, ownFile);
    // The frame above ownFile() is packageRequire(), in this file.
    const file = holder.stack?.[0]?.getFileName();
    if (file !== undefined && file !== null && (file.startsWith('file:') || isAbsolute(file))) return file;
  } catch {
    // Another stack format: try the CommonJS variable.
  } finally {
    Error.prepareStackTrace = prepareStackTrace;
    Error.stackTraceLimit = stackTraceLimit;
  }
  return typeof __filename === 'string' && isAbsolute(__filename) ? __filename : undefined;
}

/**
 * A `require` that resolves from stagetrace's own location: to read a peer
 * package's package.json, or to load a CommonJS peer synchronously on first
 * use instead of at import. Undefined when this module cannot tell its file.
 */
export function packageRequire(): NodeJS.Require | undefined {
  const from = ownFile();
  return from === undefined ? undefined : createRequire(from);
}
