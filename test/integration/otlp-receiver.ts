import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterAll } from 'vitest';
import { decodeOtlpProtobuf } from './otlp-protobuf.js';

/**
 * How the receiver answers:
 * - `ok`: 200 with an empty response (JSON or protobuf, as the request), and the payload is stored;
 * - `unavailable`: 503 with `Retry-After` ({@link OtlpReceiver.retryAfterSeconds}, default 1; the exporters retry these);
 * - `bad-request`: 400 (the exporters give up at once);
 * - `hang`: reads the request and never answers (until `close()`);
 * - `reset`: reads the request, then resets the connection without answering;
 * - `partial`: 200 with a `partial_success` rejecting {@link OtlpReceiver.partialRejected} spans with
 *   {@link OtlpReceiver.partialMessage}, in the request's encoding (JSON or protobuf); the payload is stored.
 *
 * {@link OtlpReceiver.refuse} stops listening altogether (connections are refused) until {@link OtlpReceiver.accept}.
 */
export type ReceiverMode = 'ok' | 'unavailable' | 'bad-request' | 'hang' | 'reset' | 'partial';

export type OtlpPath = '/v1/traces' | '/v1/metrics' | '/v1/logs';

/** One request as it arrived, whatever it was answered. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The body after gzip decoding, if any. */
  raw: Buffer;
  /** The body in OTLP/JSON form: parsed when sent as JSON, decoded when sent as protobuf; undefined when it could not be read. */
  json: unknown;
  /** The status answered, or undefined for a request left hanging. */
  status: number | undefined;
  atMs: number;
}

/** An OTLP JSON attribute value (`{ stringValue }`, `{ intValue }`, ...). */
export interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
  arrayValue?: { values?: OtlpAnyValue[] };
  kvlistValue?: { values?: OtlpKeyValue[] };
  bytesValue?: string;
}

export interface OtlpKeyValue {
  key: string;
  value: OtlpAnyValue;
}

interface OtlpSpanJson {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  startTimeUnixNano?: string | number;
  endTimeUnixNano?: string | number;
  attributes?: OtlpKeyValue[];
  events?: { name: string; timeUnixNano?: string | number; attributes?: OtlpKeyValue[] }[];
  status?: { code?: number; message?: string };
}

/** A received span with its attributes decoded to plain values. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** Empty string for a root span. */
  parentSpanId: string;
  name: string;
  attributes: Record<string, unknown>;
  events: { name: string; attributes: Record<string, unknown> }[];
  /** 0 unset, 1 OK, 2 ERROR. */
  statusCode: number;
  statusMessage: string | undefined;
  resource: Record<string, unknown>;
  scope: string | undefined;
}

/** A received log record with its attributes decoded (OTLP/JSON, as stagetrace's log exporter sends). */
export interface ReceivedLogRecord {
  body: unknown;
  severityText: string | undefined;
  severityNumber: number | undefined;
  timeUnixNano: string | undefined;
  /** Empty string without a trace context. */
  traceId: string;
  spanId: string;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
  scope: string | undefined;
}

/** A received metric with its data points' attributes decoded. */
export interface ReceivedMetric {
  name: string;
  unit: string | undefined;
  type: 'histogram' | 'sum' | 'gauge' | 'exponentialHistogram' | 'unknown';
  dataPoints: ({ attributes: Record<string, unknown> } & Record<string, unknown>)[];
  resource: Record<string, unknown>;
  scope: string | undefined;
}

/** Decodes one OTLP JSON value into a plain JavaScript value. */
export function decodeValue(value: OtlpAnyValue | undefined): unknown {
  if (value === undefined || value === null) return undefined;
  if ('stringValue' in value) return value.stringValue;
  if ('boolValue' in value) return value.boolValue;
  if ('intValue' in value) return Number(value.intValue);
  if ('doubleValue' in value) return value.doubleValue;
  if ('arrayValue' in value) return (value.arrayValue?.values ?? []).map(decodeValue);
  if ('kvlistValue' in value) return decodeAttributes(value.kvlistValue?.values);
  if ('bytesValue' in value) return value.bytesValue;
  return undefined;
}

/** Decodes an OTLP JSON attribute list into an object. */
export function decodeAttributes(list: OtlpKeyValue[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of list ?? []) out[kv.key] = decodeValue(kv.value);
  return out;
}

/**
 * A real OTLP/HTTP receiver on 127.0.0.1 with a free port (traces, metrics
 * and logs). It stores what the exporters send, and can be switched to fail (503, 400) or hang, per
 * path or for both, to test what happens when the collector misbehaves.
 */
export class OtlpReceiver {
  /** Every request, in arrival order, including failed and hanging ones. */
  readonly requests: ReceivedRequest[] = [];
  private defaultMode: ReceiverMode = 'ok';
  private readonly pathModes = new Map<string, ReceiverMode>();
  private readonly hanging = new Set<ServerResponse>();
  private readonly sockets = new Set<Socket>();
  private readonly waiters = new Set<() => void>();
  /** The `Retry-After` of 503 answers, in seconds. */
  retryAfterSeconds = 1;
  /** The `rejectedSpans` of `partial` answers. */
  partialRejected = 1;
  /** The `errorMessage` of `partial` answers. */
  partialMessage = 'span rejected';

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /** Starts listening on 127.0.0.1 on a port the OS picks. */
  static async start(mode: ReceiverMode = 'ok'): Promise<OtlpReceiver> {
    let receiver: OtlpReceiver | undefined;
    const server = createServer((req, res) => {
      receiver?.handle(req, res);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    receiver = new OtlpReceiver(server, (server.address() as AddressInfo).port);
    receiver.defaultMode = mode;
    const sockets = receiver.sockets;
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    return receiver;
  }

  /** Base URL, as for `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Sets how requests are answered from now on; with `path`, only for that path. */
  setMode(mode: ReceiverMode, path?: OtlpPath): void {
    if (path === undefined) {
      this.defaultMode = mode;
      this.pathModes.clear();
    } else {
      this.pathModes.set(path, mode);
    }
  }

  modeFor(path: string): ReceiverMode {
    return this.pathModes.get(path) ?? this.defaultMode;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', () => undefined);
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      let raw = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') {
        try {
          raw = gunzipSync(raw);
        } catch {
          // Kept as sent; json stays undefined.
        }
      }
      let json: unknown;
      const contentType = String(req.headers['content-type'] ?? '');
      const protobuf = contentType.includes('application/x-protobuf');
      try {
        if (contentType.includes('application/json')) json = JSON.parse(raw.toString('utf8'));
        else if (protobuf && (path === '/v1/traces' || path === '/v1/metrics')) json = decodeOtlpProtobuf(path, raw);
      } catch {
        json = undefined;
      }
      const entry: ReceivedRequest = {
        method: req.method ?? '',
        path,
        headers: req.headers,
        raw,
        json,
        status: undefined,
        atMs: Date.now(),
      };
      this.requests.push(entry);
      const known = req.method === 'POST' && (path === '/v1/traces' || path === '/v1/metrics' || path === '/v1/logs');
      const mode = known ? this.modeFor(path) : 'ok';
      if (!known) {
        entry.status = 404;
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      } else if (mode === 'hang') {
        this.hanging.add(res);
        res.on('close', () => this.hanging.delete(res));
      } else if (mode === 'unavailable') {
        entry.status = 503;
        res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': String(this.retryAfterSeconds) }).end('unavailable');
      } else if (mode === 'reset') {
        entry.status = undefined;
        req.socket.resetAndDestroy();
      } else if (mode === 'bad-request') {
        entry.status = 400;
        res.writeHead(400, { 'content-type': 'text/plain' }).end('bad request');
      } else if (mode === 'partial') {
        entry.status = 200;
        const protobuf = String(req.headers['content-type'] ?? '').includes('protobuf');
        const body = protobuf
          ? partialSuccessProtobuf(this.partialRejected, this.partialMessage)
          : JSON.stringify({
              partialSuccess: {
                [path === '/v1/logs' ? 'rejectedLogRecords' : 'rejectedSpans']: String(this.partialRejected),
                errorMessage: this.partialMessage,
              },
            });
        res.writeHead(200, { 'content-type': protobuf ? 'application/x-protobuf' : 'application/json' }).end(body);
      } else {
        entry.status = 200;
        // An empty export response in the protocol of the request.
        if (protobuf) res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
        else res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      }
      for (const wake of [...this.waiters]) wake();
    });
  }

  /** Bodies of trace requests that were accepted (answered 200). */
  traceRequests(): unknown[] {
    return this.requests.filter((r) => r.path === '/v1/traces' && r.status === 200).map((r) => r.json);
  }

  /** Bodies of metric requests that were accepted (answered 200). */
  metricRequests(): unknown[] {
    return this.requests.filter((r) => r.path === '/v1/metrics' && r.status === 200).map((r) => r.json);
  }

  /** Every accepted span, decoded. */
  spans(): ReceivedSpan[] {
    const out: ReceivedSpan[] = [];
    for (const body of this.traceRequests()) {
      const resourceSpans = (body as { resourceSpans?: unknown[] } | undefined)?.resourceSpans ?? [];
      for (const rs of resourceSpans as {
        resource?: { attributes?: OtlpKeyValue[] };
        scopeSpans?: { scope?: { name?: string }; spans?: OtlpSpanJson[] }[];
      }[]) {
        const resource = decodeAttributes(rs.resource?.attributes);
        for (const ss of rs.scopeSpans ?? []) {
          for (const span of ss.spans ?? []) {
            out.push({
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId ?? '',
              name: span.name,
              attributes: decodeAttributes(span.attributes),
              events: (span.events ?? []).map((e) => ({ name: e.name, attributes: decodeAttributes(e.attributes) })),
              statusCode: span.status?.code ?? 0,
              statusMessage: span.status?.message,
              resource,
              scope: ss.scope?.name,
            });
          }
        }
      }
    }
    return out;
  }

  /** Every accepted log record, decoded, in arrival order (JSON requests; stagetrace's log exporter sends JSON). */
  logRecords(): ReceivedLogRecord[] {
    const out: ReceivedLogRecord[] = [];
    for (const request of this.requests) {
      if (request.path !== '/v1/logs' || request.status !== 200) continue;
      const resourceLogs = (request.json as { resourceLogs?: unknown[] } | undefined)?.resourceLogs ?? [];
      for (const rl of resourceLogs as {
        resource?: { attributes?: OtlpKeyValue[] };
        scopeLogs?: { scope?: { name?: string }; logRecords?: Record<string, unknown>[] }[];
      }[]) {
        const resource = decodeAttributes(rl.resource?.attributes);
        for (const sl of rl.scopeLogs ?? []) {
          for (const record of sl.logRecords ?? []) {
            out.push({
              body: decodeValue(record.body as OtlpAnyValue | undefined),
              severityText: record.severityText as string | undefined,
              severityNumber: record.severityNumber as number | undefined,
              timeUnixNano: record.timeUnixNano === undefined ? undefined : String(record.timeUnixNano),
              traceId: String(record.traceId ?? ''),
              spanId: String(record.spanId ?? ''),
              attributes: decodeAttributes(record.attributes as OtlpKeyValue[] | undefined),
              resource,
              scope: sl.scope?.name,
            });
          }
        }
      }
    }
    return out;
  }

  /** Every accepted metric, decoded, in arrival order (one entry per metric per export). */
  metrics(): ReceivedMetric[] {
    const out: ReceivedMetric[] = [];
    for (const body of this.metricRequests()) {
      const resourceMetrics = (body as { resourceMetrics?: unknown[] } | undefined)?.resourceMetrics ?? [];
      for (const rm of resourceMetrics as {
        resource?: { attributes?: OtlpKeyValue[] };
        scopeMetrics?: { scope?: { name?: string }; metrics?: Record<string, unknown>[] }[];
      }[]) {
        const resource = decodeAttributes(rm.resource?.attributes);
        for (const sm of rm.scopeMetrics ?? []) {
          for (const metric of sm.metrics ?? []) {
            const type = (['histogram', 'sum', 'gauge', 'exponentialHistogram'] as const).find((t) => t in metric) ?? 'unknown';
            const data = type === 'unknown' ? undefined : (metric[type] as { dataPoints?: Record<string, unknown>[] } | undefined);
            out.push({
              name: String(metric.name),
              unit: metric.unit === undefined ? undefined : String(metric.unit),
              type,
              dataPoints: (data?.dataPoints ?? []).map((p) => ({
                ...p,
                attributes: decodeAttributes(p.attributes as OtlpKeyValue[] | undefined),
              })),
              resource,
              scope: sm.scope?.name,
            });
          }
        }
      }
    }
    return out;
  }

  /** Resolves once `predicate` holds (checked on every request), or rejects after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs = 30_000, what = 'the expected OTLP requests'): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate()) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got ${this.requests.length} requests`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }

  /** Forgets what was received (the mode stays). */
  clear(): void {
    this.requests.length = 0;
  }

  /** Stops listening (new connections are refused) and drops the open ones, keeping the port for {@link accept}. */
  async refuse(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  /** Listens again on the same port after {@link refuse}. */
  async accept(): Promise<void> {
    if (this.server.listening) return;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  /** Answers nothing more: drops hanging requests and open connections, then stops listening. */
  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

/** An `ExportTraceServiceResponse` whose `partial_success` rejects `rejected` spans with `message`. */
export function partialSuccessProtobuf(rejected: number, message: string): Buffer {
  const text = Buffer.from(message, 'utf8');
  const inner = Buffer.from([0x08, ...varint(rejected), 0x12, ...varint(text.length), ...text]);
  return Buffer.from([0x0a, ...varint(inner.length), ...inner]);
}

/**
 * Receivers for one test file, all closed after its tests:
 * `const receiver = receiversForFile();` then `await receiver('unavailable')` in a test.
 */
export function receiversForFile(): (mode?: ReceiverMode) => Promise<OtlpReceiver> {
  const started: OtlpReceiver[] = [];
  afterAll(async () => {
    await Promise.all(started.map((r) => r.close()));
  });
  return async (mode = 'ok') => {
    const r = await OtlpReceiver.start(mode);
    started.push(r);
    return r;
  };
}
