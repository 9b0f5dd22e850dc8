/**
 * `npm ci && npm test` passes on a machine with Node.js and nothing else: no
 * test of the unit suite, nor any test module it imports, starts Chromium,
 * tmux, Redis, the Collector, Jaeger, Prometheus or Docker. Those tests
 * belong in test/e2e (`npm run test:e2e`). The check reads the suite's file
 * list from vitest.config.ts itself, and is shown to find the e2e tests'
 * launches, so it cannot pass by looking at nothing.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import unitConfig from '../../vitest.config.js';
import e2eConfig from '../../vitest.e2e.config.js';
import { REPO_ROOT } from '../helpers/run-node.js';

/** Programs that are not part of Node.js or `npm ci`. */
const EXTERNAL =
  /^(?:.*\/)?(chromium|chromium-browser|google-chrome|tmux|redis-server|redis-cli|otelcol(?:-contrib)?|jaeger|victoria-logs|prometheus|promtool|docker|docker-compose)$/;
/** A child process started with a literal command: spawn('tmux', …), execFileSync("/usr/bin/chromium", …). */
const LAUNCH = /\b(?:spawn|spawnSync|execFile|execFileSync|exec|execSync)\(\s*(['"`])([^'"`\s]+)/g;
/** Modules that drive a browser or the stack (whose binaries are started by path, not by name), or connect to Redis. */
const DRIVERS = [/from 'playwright-core'/, /helpers\/chromium\.js'/, /support\/stack(?:-tools)?\.js'/, /from 'bullmq'/, /from 'ioredis'/];
/** This file names the programs in order to look for them. */
const SELF = 'test/tooling/no-external-programs.test.ts';

/** A vitest glob as a regular expression over repository-relative paths. */
function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (glob.startsWith('**/', i)) {
      out += '(?:.*/)?';
      i += 2;
    } else if (glob.startsWith('**', i)) {
      out += '.*';
      i += 1;
    } else if (c === '*') out += '[^/]*';
    else out += c.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

function filesOf(config: { test?: { include?: string[]; exclude?: string[] } }): string[] {
  const include = (config.test?.include ?? []).map(globToRegExp);
  const exclude = (config.test?.exclude ?? []).map(globToRegExp);
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(REPO_ROOT, dir), { withFileTypes: true })) {
      const path = dir === '' ? entry.name : `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== '.git') walk(path);
      } else if (include.some((r) => r.test(path)) && !exclude.some((r) => r.test(path))) found.push(path);
    }
  };
  walk('test');
  return found.sort();
}

/** What in `file`, or in a test module it imports (transitively), needs a program besides Node.js. */
function externalUses(file: string, seen = new Set<string>()): string[] {
  if (seen.has(file) || file === SELF) return [];
  seen.add(file);
  const text = readFileSync(join(REPO_ROOT, file), 'utf8');
  const uses: string[] = [];
  for (const m of text.matchAll(LAUNCH)) if (EXTERNAL.test(m[2] as string)) uses.push(`${file} starts ${m[2]}`);
  for (const driver of DRIVERS) if (driver.test(text)) uses.push(`${file} imports ${driver.source}`);
  for (const m of text.matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
    const target = relative(REPO_ROOT, resolve(REPO_ROOT, dirname(file), (m[1] as string).replace(/\.js$/, '.ts')));
    if (target.startsWith('test/') && existsSync(join(REPO_ROOT, target))) uses.push(...externalUses(target, seen));
  }
  return uses;
}

describe('the unit suite (npm test) on a machine with Node.js alone', () => {
  const unit = filesOf(unitConfig);
  const e2e = filesOf(e2eConfig);

  it('starts no external program and drives no browser, in any test it runs or module they import', () => {
    expect(unit.length).toBeGreaterThan(50);
    expect(unit).toContain('test/tooling/no-external-programs.test.ts');
    expect(unit.flatMap((file) => externalUses(file))).toEqual([]);
  });

  it('leaves the tests that need Chromium, tmux, Redis or the stack to npm run test:e2e, where the check finds them', () => {
    for (const file of [
      'test/e2e/delivery.test.ts',
      'test/e2e/bullmq/redis-server.test.ts',
      'test/e2e/browser/html-report.test.ts',
      'test/e2e/terminal/progress-tmux.test.ts',
      'test/e2e/terminal/progress-line.test.ts',
    ]) {
      expect(e2e).toContain(file);
      expect(unit).not.toContain(file);
      expect(externalUses(file), file).not.toEqual([]);
    }
  });
});
