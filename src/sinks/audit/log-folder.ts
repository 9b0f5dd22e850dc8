import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Creates `dir` and its missing parents, one level at a time, each with
 * `mode`. Returns true when `dir` itself was created.
 *
 * Not `mkdirSync(dir, { recursive: true })`: on a read-only file system
 * Node's recursive mkdir reports ENOENT (the error of the stat it makes
 * after the failed mkdir), which sends users looking for a missing folder.
 * One mkdir per level keeps the error the kernel gave (EROFS, EACCES, …).
 */
export function makeLogFolder(dir: string, mode: number): boolean {
  try {
    mkdirSync(dir, { mode });
    return true;
  } catch (error) {
    const code = codeOf(error);
    if (code === 'EEXIST') return existingFolder(dir);
    const parent = dirname(dir);
    if (code !== 'ENOENT' || parent === dir) throw error;
    makeLogFolder(parent, mode);
  }
  try {
    mkdirSync(dir, { mode });
    return true;
  } catch (error) {
    // Made by someone else in the meantime.
    if (codeOf(error) === 'EEXIST') return existingFolder(dir);
    throw error;
  }
}

function existingFolder(dir: string): false {
  if (statSync(dir).isDirectory()) return false;
  throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${dir}'`), { code: 'ENOTDIR', syscall: 'mkdir', path: dir });
}

/** What went wrong and what to do about it, per error code. */
const ADVICE: Readonly<Record<string, { what: string; fix: string }>> = {
  EROFS: { what: 'the file system is mounted read-only', fix: 'remount the file system read-write or choose a folder on a writable one' },
  EACCES: { what: 'permission denied', fix: 'give this user write access to it (chown/chmod) or choose a folder this user owns' },
  EPERM: {
    what: 'operation not permitted (an immutable folder, or a mount or security policy that forbids it)',
    fix: 'clear the attribute (chattr -i) or choose another folder',
  },
  ENOTDIR: { what: 'a part of the path is a file, not a folder', fix: 'move the file away or choose another path' },
  ENOSPC: { what: 'the disk is full', fix: 'free some space or choose a folder on another disk' },
  EDQUOT: { what: 'the disk quota is used up', fix: 'free some space or raise the quota' },
  ENOENT: { what: 'a part of the path does not exist (a dangling link?)', fix: 'fix the path or choose another folder' },
  ELOOP: {
    what: 'a symbolic link where an audit file belongs (writing through it would write into whatever it points to)',
    fix: 'remove the link, so that stagetrace creates the file itself, or choose another folder',
  },
  EFTYPE: {
    what: 'a FIFO, socket or block device where an audit file belongs (opening or writing it could hold the pipeline, or write a disk raw)',
    fix: 'remove it, so that stagetrace creates the file itself, or choose another folder',
  },
};

/**
 * The sentence start() fails with when the log folder or a file in it
 * cannot be created or opened: the folder, what actually failed (the
 * system call and path, with its code) and how to fix it.
 */
export function logFolderError(dir: string, error: unknown): Error {
  const code = codeOf(error);
  const detail = error instanceof Error ? error.message : String(error);
  const advice = code === undefined ? undefined : ADVICE[code];
  const uid = typeof process.getuid === 'function' ? ` (user id ${process.getuid()})` : '';
  const what = advice === undefined ? detail : `${advice.what}${code === 'EACCES' ? uid : ''}: ${detail}`;
  const fix = advice === undefined ? 'choose a writable folder' : `${advice.fix}`;
  return new Error(
    `stagetrace: cannot write audit files in logDir ${JSON.stringify(dir)}: ${what}. ` +
      `To fix: ${fix} (option logDir / STAGETRACE_LOG_DIR), or set requireLogDir: false to run on without files.`,
    { cause: error },
  );
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
