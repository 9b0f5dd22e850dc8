// Builds the published package: tsc checks the sources and writes the type
// declarations of dist/esm and dist/cjs; esbuild writes the JavaScript,
// bundled (scripts/bundle.mjs says how and why). esbuild because it is
// maintained and is what tsx already runs on: pinned to the version tsx
// brings, it adds nothing to an install.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundle } from './bundle.mjs';

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

checkVersion();
rmSync(join(root, 'dist'), { recursive: true, force: true });
declarations('tsconfig.build.esm.json');
declarations('tsconfig.build.cjs.json');
await bundle(join(root, 'dist'));
console.log('build: dist/esm (ES modules, split) and dist/cjs (CommonJS) written, with declarations and source maps');
