/**
 * Decodes OTLP/HTTP protobuf request bodies (traces and metrics) into the
 * shape of their OTLP/JSON form, so that a test reads what was received the
 * same way whichever protocol sent it. Follows the field numbers of
 * opentelemetry-proto; unknown fields are skipped, as a receiver would.
 */

type Json = Record<string, unknown>;

/** How one field is read: a scalar kind or a nested message schema; `many` collects a repeated field. */
type FieldKind =
  | 'string'
  | 'bytes-hex'
  | 'bytes-base64'
  | 'varint'
  | 'bool'
  | 'fixed32'
  | 'fixed64'
  | 'sfixed64'
  | 'double'
  | 'sint32'
  | 'packed-fixed64'
  | 'packed-double'
  | 'packed-varint'
  | Schema;
interface Field {
  name: string;
  kind: FieldKind;
  many?: boolean;
}
type Schema = { [fieldNumber: number]: Field };

const f = (name: string, kind: FieldKind, many = false): Field => ({ name, kind, many });

const anyValue: Schema = {};
const keyValue: Schema = { 1: f('key', 'string'), 2: f('value', anyValue) };
Object.assign(anyValue, {
  1: f('stringValue', 'string'),
  2: f('boolValue', 'bool'),
  3: f('intValue', 'varint'),
  4: f('doubleValue', 'double'),
  5: f('arrayValue', { 1: f('values', anyValue, true) }),
  6: f('kvlistValue', { 1: f('values', keyValue, true) }),
  7: f('bytesValue', 'bytes-base64'),
} satisfies Schema);
const attributes = (n: number) => ({ [n]: f('attributes', keyValue, true) });
const resource: Schema = { ...attributes(1), 2: f('droppedAttributesCount', 'varint') };
const scope: Schema = { 1: f('name', 'string'), 2: f('version', 'string'), ...attributes(3) };

const span: Schema = {
  1: f('traceId', 'bytes-hex'),
  2: f('spanId', 'bytes-hex'),
  3: f('traceState', 'string'),
  4: f('parentSpanId', 'bytes-hex'),
  16: f('flags', 'fixed32'),
  5: f('name', 'string'),
  6: f('kind', 'varint'),
  7: f('startTimeUnixNano', 'fixed64'),
  8: f('endTimeUnixNano', 'fixed64'),
  ...attributes(9),
  10: f('droppedAttributesCount', 'varint'),
  11: f(
    'events',
    { 1: f('timeUnixNano', 'fixed64'), 2: f('name', 'string'), ...attributes(3), 4: f('droppedAttributesCount', 'varint') },
    true,
  ),
  12: f('droppedEventsCount', 'varint'),
  13: f(
    'links',
    { 1: f('traceId', 'bytes-hex'), 2: f('spanId', 'bytes-hex'), 3: f('traceState', 'string'), ...attributes(4), 6: f('flags', 'fixed32') },
    true,
  ),
  14: f('droppedLinksCount', 'varint'),
  15: f('status', { 2: f('message', 'string'), 3: f('code', 'varint') }),
};
const traceRequest: Schema = {
  1: f(
    'resourceSpans',
    {
      1: f('resource', resource),
      2: f('scopeSpans', { 1: f('scope', scope), 2: f('spans', span, true), 3: f('schemaUrl', 'string') }, true),
      3: f('schemaUrl', 'string'),
    },
    true,
  ),
};

const times = { 2: f('startTimeUnixNano', 'fixed64'), 3: f('timeUnixNano', 'fixed64') };
const numberPoint: Schema = { ...attributes(7), ...times, 4: f('asDouble', 'double'), 6: f('asInt', 'sfixed64'), 8: f('flags', 'varint') };
const histogramPoint: Schema = {
  ...attributes(9),
  ...times,
  4: f('count', 'fixed64'),
  5: f('sum', 'double'),
  6: f('bucketCounts', 'packed-fixed64'),
  7: f('explicitBounds', 'packed-double'),
  10: f('flags', 'varint'),
  11: f('min', 'double'),
  12: f('max', 'double'),
};
const buckets: Schema = { 1: f('offset', 'sint32'), 2: f('bucketCounts', 'packed-varint') };
const exponentialPoint: Schema = {
  ...attributes(1),
  ...times,
  4: f('count', 'fixed64'),
  5: f('sum', 'double'),
  6: f('scale', 'sint32'),
  7: f('zeroCount', 'fixed64'),
  8: f('positive', buckets),
  9: f('negative', buckets),
  10: f('flags', 'varint'),
  12: f('min', 'double'),
  13: f('max', 'double'),
  14: f('zeroThreshold', 'double'),
};
const metric: Schema = {
  1: f('name', 'string'),
  2: f('description', 'string'),
  3: f('unit', 'string'),
  5: f('gauge', { 1: f('dataPoints', numberPoint, true) }),
  7: f('sum', { 1: f('dataPoints', numberPoint, true), 2: f('aggregationTemporality', 'varint'), 3: f('isMonotonic', 'bool') }),
  9: f('histogram', { 1: f('dataPoints', histogramPoint, true), 2: f('aggregationTemporality', 'varint') }),
  10: f('exponentialHistogram', { 1: f('dataPoints', exponentialPoint, true), 2: f('aggregationTemporality', 'varint') }),
};
const metricsRequest: Schema = {
  1: f(
    'resourceMetrics',
    {
      1: f('resource', resource),
      2: f('scopeMetrics', { 1: f('scope', scope), 2: f('metrics', metric, true), 3: f('schemaUrl', 'string') }, true),
      3: f('schemaUrl', 'string'),
    },
    true,
  ),
};

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  get atEnd(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw new Error('truncated varint');
      const b = this.buf[this.pos++] as number;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  }
  take(n: number): Buffer {
    if (this.pos + n > this.buf.length) throw new Error('truncated field');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

function scalar(kind: Exclude<FieldKind, Schema>, wire: number, r: Reader): unknown {
  switch (kind) {
    case 'varint':
      return Number(BigInt.asIntN(64, r.varint()));
    case 'bool':
      return r.varint() !== 0n;
    case 'sint32': {
      const v = Number(r.varint());
      return (v >>> 1) ^ -(v & 1);
    }
    case 'fixed32':
      return r.take(4).readUInt32LE(0);
    case 'fixed64':
      return Number(r.take(8).readBigUInt64LE(0));
    case 'sfixed64':
      return Number(r.take(8).readBigInt64LE(0));
    case 'double':
      return r.take(8).readDoubleLE(0);
    default:
      break;
  }
  if (wire !== 2) throw new Error(`field of kind ${kind} with wire type ${wire}`);
  const bytes = r.take(Number(r.varint()));
  switch (kind) {
    case 'string':
      return bytes.toString('utf8');
    case 'bytes-hex':
      return bytes.toString('hex');
    case 'bytes-base64':
      return bytes.toString('base64');
    case 'packed-fixed64':
      return Array.from({ length: bytes.length / 8 }, (_, i) => Number(bytes.readBigUInt64LE(i * 8)));
    case 'packed-double':
      return Array.from({ length: bytes.length / 8 }, (_, i) => bytes.readDoubleLE(i * 8));
    default: {
      const inner = new Reader(bytes);
      const out: number[] = [];
      while (!inner.atEnd) out.push(Number(inner.varint()));
      return out;
    }
  }
}

function skip(wire: number, r: Reader): void {
  if (wire === 0) r.varint();
  else if (wire === 1) r.take(8);
  else if (wire === 2) r.take(Number(r.varint()));
  else if (wire === 5) r.take(4);
  else throw new Error(`unsupported wire type ${wire}`);
}

function message(schema: Schema, buf: Buffer): Json {
  const r = new Reader(buf);
  const out: Json = {};
  while (!r.atEnd) {
    const tag = Number(r.varint());
    const field = schema[tag >>> 3];
    const wire = tag & 7;
    if (field === undefined) {
      skip(wire, r);
      continue;
    }
    const value = typeof field.kind === 'string' ? scalar(field.kind, wire, r) : message(field.kind, r.take(Number(r.varint())));
    if (!field.many) out[field.name] = value;
    else if (Array.isArray(out[field.name])) (out[field.name] as unknown[]).push(value);
    else out[field.name] = [value];
  }
  return out;
}

/** The OTLP/JSON form of a protobuf `ExportTraceServiceRequest` or `ExportMetricsServiceRequest` body. */
export function decodeOtlpProtobuf(path: '/v1/traces' | '/v1/metrics', body: Buffer): Json {
  return message(path === '/v1/traces' ? traceRequest : metricsRequest, body);
}
