// The JavaScript of the published package, written by esbuild and bundled,
// because loading ~110 small modules one by one costs more at import than
// evaluating them (file-system and resolver work per module):
// - esm/: ES modules, split at the lazy `import()`s, so replay, the report
//   readers and the span rebuild stay off the import path;
// - cjs/: one CommonJS file (esbuild splits ES modules only); its lazy
//   `import()`s become `require()` on first use.
// Every package stays external: the OpenTelemetry packages are peers, loaded
// from the user's node_modules, and Node's builtins are Node's. Source maps
// point back to src/, so `node --enable-source-maps` names the source files.
// Used by scripts/build.mjs and by the fast-start benchmark, which builds elsewhere.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = dirname(dirname(fileURLToPath(import.meta.url)));

/** Writes the JavaScript of both builds under `outDir`: esm/ and cjs/ (with the package.json that marks it CommonJS). */
export async function bundle(outDir) {
  const common = {
    absWorkingDir: root,
    bundle: true,
    packages: 'external',
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    sourcesContent: true,
    legalComments: 'none',
    logLevel: 'warning',
  };
  await build({
    ...common,
    entryPoints: ['src/index.ts', 'src/cli/stagetrace.ts'],
    outbase: 'src',
    outdir: join(outDir, 'esm'),
    format: 'esm',
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
  });
  await build({
    ...common,
    entryPoints: ['src/index.ts'],
    outbase: 'src',
    outdir: join(outDir, 'cjs'),
    format: 'cjs',
    // A lazy `import('@opentelemetry/…')` must load the package's CommonJS build, as tsc's CommonJS output did,
    // not its ES module one (a second copy of each SDK class): written as `require()` on first use.
    supported: { 'dynamic-import': false },
  });
  writeFileSync(join(outDir, 'cjs/package.json'), `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);
}
