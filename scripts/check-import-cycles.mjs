#!/usr/bin/env node
// Fails when the TypeScript files under a folder (default: src) import each
// other in a cycle. Imports are read with the TypeScript compiler's own
// pre-processor, so `import type`, re-exports and dynamic imports all count:
// a cycle of types is still a cycle a reader has to untangle.
// usage: node scripts/check-import-cycles.mjs [DIR]
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const root = resolve(process.argv[2] ?? 'src');
const files = [];
(function walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path);
    else if (/\.[cm]?ts$/.test(entry.name) && !entry.name.endsWith('.d.ts')) files.push(path);
  }
})(root);
const known = new Set(files);

const edges = new Map();
for (const file of files) {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  const targets = [];
  for (const { fileName } of importedFiles) {
    if (!fileName.startsWith('.')) continue;
    const base = resolve(dirname(file), fileName).replace(/\.[cm]?js$/, '');
    const target = [`${base}.ts`, `${base}.mts`, `${base}.cts`, join(base, 'index.ts')].find((c) => known.has(c));
    if (target) targets.push(target);
  }
  edges.set(file, targets);
}

// Tarjan's strongly connected components; any component of more than one file is a cycle.
let index = 0;
const stack = [];
const state = new Map();
const cycles = [];
function visit(file) {
  const s = { index, low: index, onStack: true };
  index++;
  state.set(file, s);
  stack.push(file);
  for (const next of edges.get(file)) {
    const t = state.get(next);
    if (t === undefined) {
      visit(next);
      s.low = Math.min(s.low, state.get(next).low);
    } else if (t.onStack) s.low = Math.min(s.low, t.index);
  }
  if (s.low === s.index) {
    const component = [];
    let member;
    do {
      member = stack.pop();
      state.get(member).onStack = false;
      component.push(member);
    } while (member !== file);
    const selfImport = component.length === 1 && edges.get(file).includes(file);
    if (component.length > 1 || selfImport) cycles.push(component);
  }
}
for (const file of files) if (!state.has(file)) visit(file);

if (cycles.length === 0) {
  console.log(`no import cycles among ${files.length} files under ${relative(process.cwd(), root) || '.'}`);
} else {
  for (const cycle of cycles)
    console.error(
      `import cycle: ${cycle
        .map((f) => relative(process.cwd(), f))
        .sort()
        .join(' <-> ')}`,
    );
  console.error(`${cycles.length} import cycle(s): imports must point one way (api -> setup -> session -> sinks/metrics/stats -> model).`);
  process.exit(1);
}
