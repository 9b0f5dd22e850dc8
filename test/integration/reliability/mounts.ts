/**
 * Real unwritable folders for the disk rows of the fault matrix: a
 * read-only bind mount (EROFS) and an immutable folder (EPERM, even for
 * root). Both need root, as CI has; without it they fail saying so.
 *
 * A run killed before its afterAll would leave a mount and a folder that
 * `rm -rf` cannot remove: the folders are released when the test process
 * exits too, and each test folder records the process that made them, so
 * the next run releases what a dead one left behind.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

/** The file in a test folder naming the process that mounted in it. */
const OWNER_FILE = 'mounted-by.pid';

function needsRoot(what: string): void {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    throw new Error(
      `${what} needs root: the test makes a real one with mount/chattr. Run the suite as root, as CI does (bash .ci/run), e.g. sudo npm test.`,
    );
  }
}

function run(tool: string, args: string[], pkg: string): void {
  try {
    execFileSync(tool, args, { stdio: 'pipe' });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === 'ENOENT') throw new Error(`${tool} is not installed; install it with: apt-get install --no-install-recommends ${pkg}`);
    throw new Error(`${tool} ${args.join(' ')} failed: ${e.stderr?.toString().trim() ?? e.message}`);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Unmounts, clears and removes what a test folder holds; never throws. */
function releaseFolder(parent: string): void {
  const attempt = (fn: () => void) => {
    try {
      fn();
    } catch {
      // Released already, or never made.
    }
  };
  attempt(() => execFileSync('umount', [join(parent, 'ro')], { stdio: 'pipe' }));
  attempt(() => execFileSync('chattr', ['-i', join(parent, 'immutable'), join(parent, 'immutable', 'existing')], { stdio: 'pipe' }));
  attempt(() => rmSync(parent, { recursive: true, force: true }));
}

/** Releases the test folders next to `parent` (same name prefix) whose process is gone. */
function releaseDeadOwners(parent: string): void {
  const prefix = basename(parent).replace(/-[^-]+$/, '-');
  const root = dirname(parent);
  for (const name of readdirSync(root)) {
    const folder = join(root, name);
    if (!name.startsWith(prefix) || folder === parent) continue;
    const owner = join(folder, OWNER_FILE);
    if (!existsSync(owner)) continue;
    const pid = Number(readFileSync(owner, 'utf8'));
    if (Number.isInteger(pid) && pid > 0 && !alive(pid)) releaseFolder(folder);
  }
}

/** Marks `parent` as this process's, releases dead runs' leftovers, and releases `parent` at exit. */
function own(parent: string): void {
  const owner = join(parent, OWNER_FILE);
  if (existsSync(owner)) return;
  writeFileSync(owner, String(process.pid));
  releaseDeadOwners(parent);
  process.once('exit', () => releaseFolder(parent));
}

export interface TestFolder {
  /** The folder (it exists, and holds an empty folder `existing`). */
  dir: string;
  /** Makes it writable again, so it can be removed. Idempotent. */
  release(): void;
}

/** A folder under `parent` (a fresh temporary folder) that is a read-only bind mount of another one. */
export function readOnlyFolder(parent: string): TestFolder {
  needsRoot('a read-only logDir');
  own(parent);
  const source = join(parent, 'ro-source');
  const dir = join(parent, 'ro');
  mkdirSync(join(source, 'existing'), { recursive: true });
  mkdirSync(dir, { recursive: true });
  run('mount', ['--bind', source, dir], 'mount');
  let mounted = true;
  try {
    run('mount', ['-o', 'remount,bind,ro', dir], 'mount');
  } catch (error) {
    run('umount', [dir], 'mount');
    throw error;
  }
  return {
    dir,
    release() {
      if (!mounted) return;
      mounted = false;
      run('umount', [dir], 'mount');
    },
  };
}

/** A folder under `parent` (a fresh temporary folder) with the immutable attribute: nothing, not even root, may create files in it. */
export function immutableFolder(parent: string): TestFolder {
  needsRoot('an immutable logDir');
  own(parent);
  const dir = join(parent, 'immutable');
  mkdirSync(join(dir, 'existing'), { recursive: true });
  run('chattr', ['+i', dir, join(dir, 'existing')], 'e2fsprogs');
  let set = true;
  return {
    dir,
    release() {
      if (!set) return;
      set = false;
      run('chattr', ['-i', dir, join(dir, 'existing')], 'e2fsprogs');
    },
  };
}

/**
 * A read-only and an immutable folder under `root`, made before a test file's
 * tests and released after them, then `root` removed (in that order: a
 * mounted or immutable folder cannot be removed).
 */
export function unwritableFolders(root: { dir: string; remove(): void }): {
  readonly readOnly: TestFolder;
  readonly immutable: TestFolder;
} {
  let readOnly: TestFolder | undefined;
  let immutable: TestFolder | undefined;
  beforeAll(() => {
    readOnly = readOnlyFolder(root.dir);
    immutable = immutableFolder(root.dir);
  });
  afterAll(() => {
    readOnly?.release();
    immutable?.release();
    root.remove();
  });
  const made = (folder: TestFolder | undefined) => {
    if (folder === undefined) throw new Error('unwritableFolders: used before its beforeAll ran');
    return folder;
  };
  return {
    get readOnly() {
      return made(readOnly);
    },
    get immutable() {
      return made(immutable);
    },
  };
}
