// Builds the published package. tsc checks the sources and writes the type
// declarations (dist/esm and dist/cjs); esbuild writes the JavaScript, bundled,
// because loading ~110 small modules one by one costs more at import than
// evaluating them (file-system and resolver work per module):
// - dist/esm: ES modules, split at the lazy `import()`s, so replay, the report
//   readers and the span rebuild stay off the import path;
// - dist/cjs: one CommonJS file (esbuild splits ES modules only); its lazy
//   `import()`s become `require()` on first use.
// Every package stays external: the OpenTelemetry packages are peers, loaded
// from the user's node_modules, and Node's builtins are Node's. Source maps
// point back to src/, so `node --enable-source-maps` names the source files.
// dist/cjs gets a package.json marking it CommonJS, because the root
// package.json says "type": "module".
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

function fail(message) {
  console.error(`build: ${message}`);
  process.exit(1);
}

// The runtime reports VERSION in every record; it must match what npm publishes.
function checkVersion() {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const source = readFileSync(join(root, 'src/model/version.ts'), 'utf8');
  const match = /export const VERSION = '([^']+)';/.exec(source);
  if (!match) fail("src/model/version.ts must contain `export const VERSION = '<version>';`.");
  if (match[1] !== pkg.version) {
    fail(`src/model/version.ts says VERSION = '${match[1]}' but package.json says "version": "${pkg.version}". Make them equal.`);
  }
}

function declarations(project) {
  const result = spawnSync(process.execPath, [tsc, '-p', join(root, project), '--emitDeclarationOnly'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) fail(`tsc -p ${project} failed (exit ${result.status ?? result.signal}).`);
}

/** The JavaScript of both builds under `outDir` (esm/, cjs/). Exported for the fast-start benchmark, which builds elsewhere. */
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

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  checkVersion();
  rmSync(join(root, 'dist'), { recursive: true, force: true });
  declarations('tsconfig.build.esm.json');
  declarations('tsconfig.build.cjs.json');
  await bundle(join(root, 'dist'));
  console.log('build: dist/esm (ES modules, split) and dist/cjs (CommonJS) written, with declarations and source maps');
}
