/**
 * start() with a logDir that cannot be written, made for real: a read-only
 * bind mount (EROFS), an immutable folder (EPERM even for root), a path
 * through a file (ENOTDIR). The error names what actually failed — never
 * ENOENT for a folder that is merely read-only — and how to fix it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { shutdown, start } from '../../../src/index.js';
import { tempDir } from '../audit/audit-support.js';
import { unwritableFolders } from './mounts.js';

const root = tempDir('log-dir-at-start');
const folders = unwritableFolders(root);

async function startError(logDir: string): Promise<string> {
  try {
    await start({ logDir, console: false, hostMetrics: false, handleExit: false });
  } catch (error) {
    return (error as Error).message;
  }
  await shutdown();
  throw new Error(`start() accepted the unwritable logDir ${logDir}`);
}

describe('a logDir that cannot be written: start() says what failed and how to fix it', () => {
  it('a folder to create on a read-only file system: EROFS, not ENOENT', async () => {
    const dir = join(folders.readOnly.dir, 'logs');
    const message = await startError(dir);
    expect(message).toBe(
      `stagetrace: cannot write audit files in logDir ${JSON.stringify(dir)}: the file system is mounted read-only: ` +
        `EROFS: read-only file system, mkdir '${dir}'. To fix: remount the file system read-write or choose a folder on a writable one ` +
        '(option logDir / STAGETRACE_LOG_DIR), or set requireLogDir: false to run on without files.',
    );
  });

  it('a nested folder to create on a read-only file system names the first folder that could not be made', async () => {
    const dir = join(folders.readOnly.dir, 'a', 'b', 'logs');
    const message = await startError(dir);
    expect(message).toContain(`EROFS: read-only file system, mkdir '${join(folders.readOnly.dir, 'a')}'`);
    expect(message).not.toContain('ENOENT');
  });

  it('an existing folder on a read-only file system: the file that could not be opened', async () => {
    const dir = join(folders.readOnly.dir, 'existing');
    const message = await startError(dir);
    expect(message).toContain(
      `the file system is mounted read-only: EROFS: read-only file system, open '${join(dir, 'enhanced_processing.log')}'`,
    );
  });

  it('an immutable folder (chattr +i): EPERM, with how to clear it', async () => {
    const created = await startError(join(folders.immutable.dir, 'logs'));
    expect(created).toMatch(
      /: operation not permitted \(an immutable folder, .*\): EPERM: operation not permitted, mkdir '.*\/immutable\/logs'/,
    );
    expect(created).toContain('To fix: clear the attribute (chattr -i) or choose another folder');
    const existing = await startError(join(folders.immutable.dir, 'existing'));
    expect(existing).toMatch(/EPERM: operation not permitted, open '.*\/immutable\/existing\/enhanced_processing\.log'/);
  });

  it('a path through a regular file: ENOTDIR, naming the part that is a file', async () => {
    const file = join(root.dir, 'a-file');
    writeFileSync(file, 'not a folder');
    const message = await startError(join(file, 'logs'));
    expect(message).toContain(`a part of the path is a file, not a folder: ENOTDIR: not a directory, mkdir '${join(file, 'logs')}'`);
    const itself = await startError(file);
    expect(itself).toContain(`ENOTDIR: not a directory, mkdir '${file}'`);
  });
});
