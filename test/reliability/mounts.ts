/**
 * Real unwritable folders for the disk rows of the fault matrix: a
 * read-only bind mount (EROFS) and an immutable folder (EPERM, even for
 * root). Both need root, as CI has; without it they fail saying so.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

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

export interface TestFolder {
  /** The folder (it exists, and holds an empty folder `existing`). */
  dir: string;
  /** Makes it writable again, so it can be removed. Idempotent. */
  release(): void;
}

/** A folder under `parent` that is a read-only bind mount of another one. */
export function readOnlyFolder(parent: string): TestFolder {
  needsRoot('a read-only logDir');
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

/** A folder under `parent` with the immutable attribute: nothing, not even root, may create files in it. */
export function immutableFolder(parent: string): TestFolder {
  needsRoot('an immutable logDir');
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
