/**
 * Global setup of `npm run test:e2e`: the HTML report's tests drive Debian's
 * Chromium, the progress line's tests read a tmux pane and the BullMQ tests
 * start a redis-server. Without them the suite stops before any test, with
 * the one command that installs all three (the command .ci/run's first
 * install step runs).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CHROMIUM } from '../../helpers/chromium.js';

export const DEBIAN_TOOLS_COMMAND = 'apt-get update && apt-get install -y --no-install-recommends chromium tmux redis-server';

export default function checkDebianTools(): void {
  const missing: string[] = [];
  if (!existsSync(CHROMIUM)) missing.push(`Chromium at ${CHROMIUM} (CHROMIUM_PATH names another)`);
  if (spawnSync('tmux', ['-V']).status !== 0) missing.push('tmux');
  if (spawnSync('redis-server', ['--version']).status !== 0) missing.push('redis-server');
  if (missing.length > 0) {
    throw new Error(`npm run test:e2e needs ${missing.join(', ')}. Install Debian's packages as root with: ${DEBIAN_TOOLS_COMMAND}`);
  }
}
