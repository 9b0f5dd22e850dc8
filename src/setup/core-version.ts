import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { packageRequire } from '../model/package-require.js';

/**
 * The version of the `@opentelemetry/core` stagetrace would load, read from
 * its package.json without loading it (core and the semantic conventions it
 * pulls in cost more than the api at import). The package's `exports` need
 * not list package.json (3.x does not): it is found above the entry file.
 * Undefined when core cannot be found.
 */
export function coreVersion(): string | undefined {
  const require = packageRequire();
  if (require === undefined) return undefined;
  try {
    let dir = dirname(require.resolve('@opentelemetry/core'));
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
