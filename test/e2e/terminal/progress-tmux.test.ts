import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../helpers/run-node.js';

const FIXTURE = join(REPO_ROOT, 'test/e2e/terminal/fixtures/progress-tty.ts');
const TSX = pathToFileURL(join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

function requireTmux(): void {
  if (spawnSync('tmux', ['-V']).status !== 0) {
    throw new Error('tmux is not installed: apt-get update && apt-get install -y --no-install-recommends tmux');
  }
}

/** A tmux server of its own, running the fixture in a pane of the given size. */
class Terminal {
  readonly socket = `stagetrace-test-${process.pid}-${Math.random().toString(36).slice(2)}`;
  readonly dir = mkdtempSync(join(tmpdir(), 'stagetrace-tmux-'));

  constructor(width: number, height: number) {
    const command = `${process.execPath} --import ${TSX} ${FIXTURE} ${this.dir}; sleep 30`;
    execFileSync(
      'tmux',
      ['-L', this.socket, '-f', '/dev/null', 'new-session', '-d', '-s', 'p', '-x', String(width), '-y', String(height), command],
      {
        cwd: REPO_ROOT,
      },
    );
  }

  /** Waits (polling, bounded) until the fixture reaches `point`. */
  async reach(point: string): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (!existsSync(join(this.dir, `${point}.ready`))) {
      if (Date.now() > deadline) throw new Error(`the fixture never reached "${point}"; screen:\n${this.screen().join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  release(point: string): void {
    writeFileSync(join(this.dir, `${point}.go`), '');
  }

  /**
   * The screen once its last row shows `text`: the display redraws within
   * 100 ms of the latest change (rate limit), so the test waits for it as a
   * person would, bounded.
   */
  async screenShowing(text: string): Promise<string[]> {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const rows = this.screen();
      if (rows[rows.length - 1]?.includes(text) || Date.now() > deadline) return rows;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** The pane's rows, trailing blank ones dropped. */
  screen(): string[] {
    const rows = execFileSync('tmux', ['-L', this.socket, 'capture-pane', '-p', '-t', 'p'], { encoding: 'utf8' }).split('\n');
    while (rows.length > 0 && rows[rows.length - 1]?.trim() === '') rows.pop();
    return rows;
  }

  close(): void {
    spawnSync('tmux', ['-L', this.socket, 'kill-server']);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

let terminal: Terminal | undefined;
afterEach(() => {
  terminal?.close();
  terminal = undefined;
});

describe('the progress status line in a real terminal (tmux)', () => {
  it('stays on one row, shows month, stage, bar, ETA and months of the total, and leaves no trace when closed', async () => {
    requireTmux();
    terminal = new Terminal(120, 10);
    await terminal.reach('progress');
    const rows = await terminal.screenShowing('60%');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(/^2024-02 · process \[#{12}\.{8}\] 60% 600\/1,000 · ETA 0:0\d · month 2 of 3 · elapsed 0:0\d$/);
    terminal.release('progress');

    await terminal.reach('resumed');
    const resumed = await terminal.screenShowing('60%');
    expect(resumed[0]).toBe('[INFO] [process] a log line in between');
    expect(resumed[1]).toMatch(/^2024-02 · process \[#{12}\.{8}\] 60% /);
    expect(resumed).toHaveLength(2);
    terminal.release('resumed');

    await terminal.reach('closed');
    expect(terminal.screen()).toEqual(['[INFO] [process] a log line in between', 'finished']);
    terminal.release('closed');
  }, 60_000);

  it('cuts the line to a narrow terminal instead of wrapping', async () => {
    requireTmux();
    terminal = new Terminal(50, 6);
    await terminal.reach('progress');
    const rows = await terminal.screenShowing('60%');
    expect(rows).toHaveLength(1);
    expect([...(rows[0] as string)].length).toBeLessThanOrEqual(49);
    expect(rows[0]).toMatch(/^2024-02 · process \[#+\.+\] 60% .*…$/);
    terminal.release('progress');
  }, 60_000);
});
