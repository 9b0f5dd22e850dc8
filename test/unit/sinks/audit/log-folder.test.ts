/**
 * The log folder: created level by level so the kernel's own error
 * survives, and start()'s error naming what failed and how to fix it. The
 * read-only and immutable folders themselves are made for real in
 * test/integration/reliability/log-dir-at-start.test.ts.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { logFolderError, makeLogFolder } from '../../../../src/sinks/audit/log-folder.js';

const root = mkdtempSync(join(tmpdir(), 'stagetrace-log-folder-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function fsError(code: string, syscall: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: some text, ${syscall} '${path}'`), { code, syscall, path });
}

describe('makeLogFolder', () => {
  it('creates missing parents with the mode and says whether the folder itself was new', () => {
    const dir = join(root, 'a', 'b', 'logs');
    expect(makeLogFolder(dir, 0o750)).toBe(true);
    expect(statSync(dir).isDirectory()).toBe(true);
    expect(statSync(join(root, 'a')).mode & 0o777 & ~0o750).toBe(0);
    expect(makeLogFolder(dir, 0o750)).toBe(false);
  });

  it('a file where the folder should be is ENOTDIR, whether it is the folder or a parent', () => {
    const file = join(root, 'file');
    writeFileSync(file, 'x');
    expect(() => makeLogFolder(file, 0o750)).toThrow(
      expect.objectContaining({ code: 'ENOTDIR', message: `ENOTDIR: not a directory, mkdir '${file}'` }),
    );
    expect(() => makeLogFolder(join(file, 'logs'), 0o750)).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
  });
});

describe('logFolderError', () => {
  const dir = '/srv/pipeline/logs';

  it.each([
    ['EROFS', 'the file system is mounted read-only', 'remount the file system read-write'],
    ['EACCES', `permission denied (user id ${process.getuid?.()})`, 'give this user write access to it (chown/chmod)'],
    ['EPERM', 'operation not permitted (an immutable folder', 'clear the attribute (chattr -i)'],
    ['ENOTDIR', 'a part of the path is a file, not a folder', 'move the file away'],
    ['ENOSPC', 'the disk is full', 'free some space'],
    ['EDQUOT', 'the disk quota is used up', 'free some space or raise the quota'],
    ['ELOOP', 'a symbolic link where an audit file belongs', 'remove the link, so that stagetrace creates the file itself'],
  ])('%s: what failed, the system call and path, and how to fix it', (code, what, fix) => {
    const cause = fsError(code, 'mkdir', dir);
    const error = logFolderError(dir, cause);
    expect(error.message.startsWith(`stagetrace: cannot write audit files in logDir "${dir}": ${what}`)).toBe(true);
    expect(error.message).toContain(`: ${code}: some text, mkdir '${dir}'. To fix: ${fix}`);
    expect(error.message).toMatch(/\(option logDir \/ STAGETRACE_LOG_DIR\), or set requireLogDir: false to run on without files\.$/);
    expect(error.cause).toBe(cause);
  });

  it('an error without a known code is passed on as it is', () => {
    expect(logFolderError(dir, fsError('EIO', 'open', `${dir}/x`)).message).toBe(
      `stagetrace: cannot write audit files in logDir "${dir}": EIO: some text, open '${dir}/x'. To fix: choose a writable folder ` +
        '(option logDir / STAGETRACE_LOG_DIR), or set requireLogDir: false to run on without files.',
    );
    expect(logFolderError(dir, 'weird').message).toContain(`logDir "${dir}": weird. To fix:`);
  });
});
