/** The CI check on import cycles passes on src/ and would fail on a cycle, `import type` included. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = join(ROOT, 'scripts', 'check-import-cycles.mjs');

const check = (dir: string) => spawnSync(process.execPath, [SCRIPT, dir], { cwd: ROOT, encoding: 'utf8' });

describe('scripts/check-import-cycles.mjs', () => {
  it('finds no cycle in src/', () => {
    const run = check('src');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^no import cycles among \d+ files under src$/m);
  });

  it('fails on a cycle, naming its files, also when one edge is a type import', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stagetrace-cycles-'));
    try {
      mkdirSync(join(dir, 'api'));
      writeFileSync(join(dir, 'api', 'stage.ts'), "import { Session } from '../session.js';\nexport const x = Session;\n");
      writeFileSync(
        join(dir, 'session.ts'),
        "import type { x } from './api/stage.js';\nexport class Session {}\nexport type X = typeof x;\n",
      );
      writeFileSync(join(dir, 'model.ts'), 'export const plain = 1;\n');
      const run = check(dir);
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(/import cycle: .*api\/stage\.ts <-> .*session\.ts/);
      expect(run.stderr).not.toMatch(/model\.ts/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
