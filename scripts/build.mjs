// Builds the published package: ESM and CommonJS from src/ with plain tsc,
// each with its own type declarations. dist/cjs gets a package.json marking it
// CommonJS, because the root package.json says "type": "module".
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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

function compile(project) {
  const result = spawnSync(process.execPath, [tsc, '-p', join(root, project)], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) fail(`tsc -p ${project} failed (exit ${result.status ?? result.signal}).`);
}

checkVersion();
rmSync(join(root, 'dist'), { recursive: true, force: true });
compile('tsconfig.build.esm.json');
compile('tsconfig.build.cjs.json');
writeFileSync(join(root, 'dist/cjs/package.json'), `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);
console.log('build: dist/esm (ES modules) and dist/cjs (CommonJS) written');
