/**
 * A real Redis for the BullMQ tests: Debian's `redis-server` on a free
 * loopback port, its working folder a temporary one, nothing persisted (no
 * RDB snapshots, no append-only file), stopped by pid and its folder removed
 * afterwards. Without the program it fails at once with the one apt-get
 * command that installs it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts, ServiceProcess, waitFor } from './processes.js';

export const REDIS_INSTALL_COMMAND = 'apt-get update && apt-get install -y --no-install-recommends redis-server';

/** A running redis-server; `stop()` ends it and removes its folder. */
export interface RedisServer {
  readonly host: string;
  readonly port: number;
  /** `redis://127.0.0.1:<port>`, for `new IORedis(url)` and the examples' `REDIS_URL`. */
  readonly url: string;
  /** Exit status and the last lines of its log, for failure messages. */
  describe(): string;
  stop(): Promise<void>;
}

/** The installed redis-server's version line, or an error naming the install command. */
export function redisServerVersion(): string {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) {
    throw new Error(
      `The BullMQ tests need Debian's redis-server, which is not installed. Install it as root with: ${REDIS_INSTALL_COMMAND}`,
    );
  }
  return probe.stdout.trim();
}

/** Sends one inline command and resolves with the first reply line (`+PONG`), or rejects on a socket error. */
function ask(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    socket.setTimeout(2000, () => socket.destroy(new Error(`no reply to ${command} within 2 s`)));
    socket.once('error', reject);
    socket.once('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      const end = reply.indexOf('\r\n');
      if (end >= 0) {
        socket.end();
        resolve(reply.slice(0, end));
      }
    });
  });
}

/**
 * Starts redis-server on 127.0.0.1 and a free port; resolves once it answers
 * PING. `logDir` receives its log (`redis-<port>.log`).
 */
export async function startRedisServer({ logDir }: { logDir: string }): Promise<RedisServer> {
  redisServerVersion();
  const dataDir = await mkdtemp(join(tmpdir(), 'stagetrace-redis-'));
  const [port] = (await freePorts(1)) as [number];
  const args = [
    '--bind',
    '127.0.0.1',
    '--port',
    String(port),
    '--dir',
    dataDir,
    '--save',
    '',
    '--appendonly',
    'no',
    '--daemonize',
    'no',
    '--logfile',
    '',
  ];
  const service = ServiceProcess.start('redis-server', 'redis-server', args, { logFile: join(logDir, `redis-${port}.log`) });
  const stop = async () => {
    await service.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      `redis-server to answer PING on 127.0.0.1:${port}`,
      async () => {
        if (service.exitInfo !== undefined) throw new Error(`redis-server exited (${service.exitInfo})`);
        return (await ask(port, 'PING')) === '+PONG' ? true : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 50, describe: () => service.describe() },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { host: '127.0.0.1', port, url: `redis://127.0.0.1:${port}`, describe: () => service.describe(), stop };
}
