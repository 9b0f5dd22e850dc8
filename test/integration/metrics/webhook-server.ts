import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A Slack-like incoming webhook on 127.0.0.1 that records every post. */
export class WebhookServer {
  readonly posts: { path: string; body: unknown }[] = [];
  /** `ok` answers 200 "ok"; `hang` reads the request and never answers. */
  mode: 'ok' | 'hang' = 'ok';
  private readonly sockets = new Set<Socket>();
  private readonly waiters = new Set<() => void>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(): Promise<WebhookServer> {
    let self: WebhookServer | undefined;
    const server = createServer((req, res) => self?.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    self = new WebhookServer(server, (server.address() as AddressInfo).port);
    const sockets = self.sockets;
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    return self;
  }

  /** A URL with a secret in its path, like Slack's. */
  url(secret: string): string {
    return `http://127.0.0.1:${this.port}/services/${secret}`;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = undefined;
      }
      this.posts.push({ path: req.url ?? '', body });
      for (const wake of [...this.waiters]) wake();
      if (this.mode === 'ok') res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  }

  /** Resolves once `count` posts have arrived. */
  waitForPosts(count: number, timeoutMs = 20_000): Promise<void> {
    if (this.posts.length >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting for ${count} webhook posts; got ${this.posts.length}`));
      }, timeoutMs);
      const check = () => {
        if (this.posts.length < count) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
    });
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A loopback port with nothing listening on it. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
