/**
 * The CI check on imports (`npm run check:imports`) passes on src/ and fails on a cycle, `import type` included,
 * and on an import against the layer order of scripts/layer-order.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = join(ROOT, 'scripts', 'check-imports.mjs');

const check = (...args: string[]) => spawnSync(process.execPath, [SCRIPT, ...args], { cwd: ROOT, encoding: 'utf8' });

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stagetrace-imports-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Writes `files` (path under the temporary src/ → source text). */
function tree(files: Record<string, string>): string {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe('scripts/check-imports.mjs', () => {
  it('finds no cycle and no import against the layer order in src/', () => {
    const run = check('src');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^no import cycles among \d+ files under src$/m);
    expect(run.stdout).toMatch(/^every import follows the layer order of scripts\/layer-order\.json$/m);
  });

  it('orders every folder of src/: the rule file names each one once', () => {
    const { layers } = JSON.parse(readFileSync(join(ROOT, 'scripts', 'layer-order.json'), 'utf8')) as { layers: string[][] };
    const named = layers.flat();
    expect(new Set(named).size).toBe(named.length);
    expect(named).toEqual(
      expect.arrayContaining([
        'model',
        'config',
        'export',
        'metrics',
        'stats',
        'session',
        'sinks',
        'report',
        'setup',
        'api',
        'replay',
        'cli',
      ]),
    );
  });

  it('fails on a cycle, naming its files, also when one edge is a type import', () => {
    tree({
      'api/stage.ts': "import { Session } from '../session.js';\nexport const x = Session;\n",
      'session.ts': "import type { x } from './api/stage.js';\nexport class Session {}\nexport type X = typeof x;\n",
      'model.ts': 'export const plain = 1;\n',
    });
    const run = check(dir);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/import cycle: .*api\/stage\.ts <-> .*session\.ts/);
    expect(run.stderr).not.toMatch(/model\.ts/);
  });

  it('passes imports that point down the layers, and within a folder', () => {
    tree({
      'cli/main.ts': "import { replay } from '../replay/replay.js';\nexport const main = replay;\n",
      'replay/replay.ts':
        "import { read } from '../report/read.js';\nimport { own } from './own.js';\nexport const replay = [read, own];\n",
      'replay/own.ts': 'export const own = 1;\n',
      'report/read.ts': "import type { Rec } from '../model/rec.js';\nexport const read = (r: Rec) => r;\n",
      'model/rec.ts': 'export type Rec = { a: number };\n',
      'index.ts': "export { main } from './cli/main.js';\n",
    });
    const run = check(dir);
    expect(run.status, run.stderr).toBe(0);
  });

  it('fails on an import against the order, a type import included, naming the file, the target and the rule file', () => {
    tree({
      'stats/summary.ts': "import type { Session } from '../session/session.js';\nexport type S = Session;\n",
      'session/session.ts': 'export class Session {}\n',
    });
    const run = check(dir);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(
      /wrong-way import: .*stats\/summary\.ts imports .*session\/session\.ts: session\/ is in a higher layer than stats\/ \(scripts\/layer-order\.json\)/,
    );
  });

  it('fails on an import between two folders of one layer, and on a folder the rule file does not name', () => {
    tree({
      'sinks/audit.ts': "import { read } from '../report/read.js';\nexport const audit = read;\n",
      'report/read.ts': 'export const read = 1;\n',
      'plugins/extra.ts': "import { read } from '../report/read.js';\nexport const extra = read;\n",
    });
    const run = check(dir);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/sinks\/audit\.ts imports .*report\/read\.ts: report\/ is in the same layer as sinks\//);
    expect(run.stderr).toMatch(/plugins\/extra\.ts imports .*: folder plugins\/ has no layer in scripts\/layer-order\.json; add it there/);
  });

  it('reads another rule file with --layers', () => {
    tree({ 'b/x.ts': "import { y } from '../a/y.js';\nexport const x = y;\n", 'a/y.ts': 'export const y = 1;\n' });
    const rules = join(dir, 'rules.json');
    writeFileSync(rules, JSON.stringify({ layers: [['b'], ['a']] }));
    expect(check(dir, '--layers', rules).status).toBe(1);
    writeFileSync(rules, JSON.stringify({ layers: [['a'], ['b']] }));
    expect(check(dir, '--layers', rules).status).toBe(0);
  });
});
