#!/usr/bin/env node
// Fails when the TypeScript files under a folder (default: src) import each
// other in a cycle, or against the layer order of a rule file (default:
// scripts/layer-order.json beside this script). Imports are read with the
// TypeScript compiler's own pre-processor, so `import type`, re-exports and
// dynamic imports all count: a type import against the order still ties a
// lower layer to a higher one.
// usage: node scripts/check-imports.mjs [DIR] [--layers RULES.json]
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const args = process.argv.slice(2);
const layersAt = args.indexOf('--layers');
const rulesPath = layersAt >= 0 ? resolve(args[layersAt + 1] ?? '') : fileURLToPath(new URL('layer-order.json', import.meta.url));
const root = resolve(args.find((arg, i) => !arg.startsWith('--') && (layersAt < 0 || i !== layersAt + 1)) ?? 'src');
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

// The layer of each top-level folder under root; files directly under root are the entry (above every layer).
const layerOf = new Map();
JSON.parse(readFileSync(rulesPath, 'utf8')).layers.forEach((folders, rank) => {
  for (const folder of folders) layerOf.set(folder, rank);
});
const folderOf = (file) => {
  const parts = relative(root, file).split(sep);
  return parts.length > 1 ? parts[0] : undefined;
};
const wrongWay = [];
for (const [file, targets] of edges) {
  const from = folderOf(file);
  if (from === undefined) continue;
  for (const target of targets) {
    const to = folderOf(target);
    if (to === from) continue;
    const fromRank = layerOf.get(from);
    const toRank = to === undefined ? Number.POSITIVE_INFINITY : layerOf.get(to);
    if (fromRank === undefined || toRank === undefined) {
      wrongWay.push(
        `${relative(process.cwd(), file)} imports ${relative(process.cwd(), target)}: folder ${fromRank === undefined ? from : to}/ has no layer in ${relative(process.cwd(), rulesPath)}; add it there`,
      );
    } else if (toRank >= fromRank) {
      const where = toRank === fromRank ? 'in the same layer as' : 'in a higher layer than';
      wrongWay.push(
        `${relative(process.cwd(), file)} imports ${relative(process.cwd(), target)}: ${to === undefined ? 'the entry' : `${to}/`} is ${where} ${from}/ (${relative(process.cwd(), rulesPath)})`,
      );
    }
  }
}
for (const line of wrongWay) console.error(`wrong-way import: ${line}`);

if (cycles.length === 0) {
  console.log(`no import cycles among ${files.length} files under ${relative(process.cwd(), root) || '.'}`);
  if (wrongWay.length === 0) console.log(`every import follows the layer order of ${relative(process.cwd(), rulesPath)}`);
  else {
    console.error(`${wrongWay.length} import(s) against the layer order: a folder imports only its own files and lower layers.`);
    process.exit(1);
  }
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
