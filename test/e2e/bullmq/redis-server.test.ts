/**
 * The Redis the BullMQ tests run against: a real redis-server on a free
 * loopback port that keeps nothing on disk and is gone after stop(); without
 * the program, the one apt-get command that installs it.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { REDIS_INSTALL_COMMAND, type RedisServer, redisServerVersion, startRedisServer } from '../support/redis-server.js';

/** Whether something accepts a TCP connection on 127.0.0.1:port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('startRedisServer', () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'stagetrace-redis-test-'));
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('serves on loopback, persists nothing, and is gone with its folder after stop()', async () => {
    const server: RedisServer = await startRedisServer({ logDir: scratch });
    const client = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    let dataDir: string;
    try {
      await client.connect();
      expect(await client.set('k', 'v')).toBe('OK');
      expect(await client.get('k')).toBe('v');
      expect(await client.config('GET', 'save')).toEqual(['save', '']);
      expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'no']);
      expect(await client.config('GET', 'bind')).toEqual(['bind', '127.0.0.1']);
      dataDir = ((await client.config('GET', 'dir')) as string[])[1] as string;
      expect(dataDir.startsWith(tmpdir())).toBe(true);
    } finally {
      client.disconnect();
      await server.stop();
    }
    expect(await accepts(server.port)).toBe(false);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('two servers get two ports', async () => {
    const [a, b] = await Promise.all([startRedisServer({ logDir: scratch }), startRedisServer({ logDir: scratch })]);
    try {
      expect(a.port).not.toBe(b.port);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('without redis-server, fails before starting anything with the apt-get command that installs it', async () => {
    vi.stubEnv('PATH', scratch);
    expect(() => redisServerVersion()).toThrow(REDIS_INSTALL_COMMAND);
    await expect(startRedisServer({ logDir: scratch })).rejects.toThrow(
      `Install it as root with: apt-get update && apt-get install -y --no-install-recommends redis-server`,
    );
  });
});
