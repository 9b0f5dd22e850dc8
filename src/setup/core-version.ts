import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join } from 'node:path';

/**
 * This module's own file, the place `@opentelemetry/core` is resolved from
 * (as an `import` of it here would be). One source serves the ES module and
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
    // The frame above ownFile() is coreVersion(), in this file.
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
 * The version of the `@opentelemetry/core` stagetrace would load, read from
 * its package.json without loading it (core and the semantic conventions it
 * pulls in cost more than the api at import). The package's `exports` need
 * not list package.json (3.x does not): it is found above the entry file.
 * Undefined when core cannot be found.
 */
export function coreVersion(): string | undefined {
  const from = ownFile();
  if (from === undefined) return undefined;
  try {
    let dir = dirname(createRequire(from).resolve('@opentelemetry/core'));
    for (;;) {
      try {
        const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
        if (pkg.name === '@opentelemetry/core') return typeof pkg.version === 'string' ? pkg.version : undefined;
      } catch {
        // No package.json here (or an unreadable one): look further up.
      }
      const parent = dirname(dir);
      if (parent === dir) return undefined;
      dir = parent;
    }
  } catch {
    return undefined;
  }
}
