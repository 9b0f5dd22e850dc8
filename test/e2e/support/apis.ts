/** Small clients for the APIs users' tools read: Jaeger's query API and Prometheus's HTTP API. */

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text);
}

// ---- Jaeger ----------------------------------------------------------------

export interface JaegerTag {
  key: string;
  type: string;
  value: unknown;
}

export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: { refType: string; traceID: string; spanID: string }[];
  /** Microseconds since the epoch. */
  startTime: number;
  /** Microseconds. */
  duration: number;
  tags: JaegerTag[];
  logs: { timestamp: number; fields: JaegerTag[] }[];
  processID: string;
}

export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string; tags: JaegerTag[] }>;
}

/** `GET /api/traces`: traces of `service` with every tag in `tags`, optionally within [start, end] µs. */
export async function jaegerTraces(
  jaegerUrl: string,
  service: string,
  tags: Record<string, string>,
  extra: Record<string, string> = {},
): Promise<JaegerTrace[]> {
  const params = new URLSearchParams({ service, tags: JSON.stringify(tags), limit: '1000', ...extra });
  const body = (await getJson(`${jaegerUrl}/api/traces?${params}`)) as { data: JaegerTrace[] | null; errors: unknown };
  if (body.errors) throw new Error(`Jaeger answered errors: ${JSON.stringify(body.errors)}`);
  return body.data ?? [];
}

export async function jaegerServices(jaegerUrl: string): Promise<string[]> {
  const body = (await getJson(`${jaegerUrl}/api/services`)) as { data: string[] | null };
  return body.data ?? [];
}

/** A span's tag value by key, or undefined. */
export function tag(span: { tags: JaegerTag[] }, key: string): unknown {
  return span.tags.find((t) => t.key === key)?.value;
}

/** The parent span id from CHILD_OF, or undefined for a root span. */
export function parentOf(span: JaegerSpan): string | undefined {
  return span.references.find((r) => r.refType === 'CHILD_OF')?.spanID;
}

// ---- Prometheus ------------------------------------------------------------

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** An instant query at `time` (Unix seconds; default now); throws with Prometheus's error for a bad expression. */
export async function promQuery(prometheusUrl: string, expr: string, time?: number): Promise<PromSample[]> {
  const params = new URLSearchParams({ query: expr, ...(time === undefined ? {} : { time: String(time) }) });
  const body = (await getJson(`${prometheusUrl}/api/v1/query?${params}`)) as {
    status: string;
    data: { resultType: string; result: PromSample[] | [number, string] };
    error?: string;
  };
  if (body.status !== 'success') throw new Error(`Prometheus rejected ${expr}: ${body.error}`);
  // A scalar result (e.g. `vector(0)` folded) is one sample with no labels.
  if (body.data.resultType === 'scalar') return [{ metric: {}, value: body.data.result as [number, string] }];
  return body.data.result as PromSample[];
}

/** Values of one label among series matching `match`. */
export async function promLabelValues(prometheusUrl: string, label: string, match: string): Promise<string[]> {
  const body = (await getJson(`${prometheusUrl}/api/v1/label/${label}/values?${new URLSearchParams({ 'match[]': match })}`)) as {
    data: string[];
  };
  return body.data;
}

/** Every metric name Prometheus holds. */
export async function promMetricNames(prometheusUrl: string): Promise<string[]> {
  const body = (await getJson(`${prometheusUrl}/api/v1/label/__name__/values`)) as { data: string[] };
  return body.data;
}

/** Series (label sets) matching `match`. */
export async function promSeries(prometheusUrl: string, match: string): Promise<Record<string, string>[]> {
  const body = (await getJson(`${prometheusUrl}/api/v1/series?${new URLSearchParams({ 'match[]': match })}`)) as {
    data: Record<string, string>[];
  };
  return body.data;
}

/** `{labels…} → number` for the samples of an instant query, keyed by the given labels joined with '/'. */
export function byLabels(samples: PromSample[], ...labels: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) out[labels.map((l) => s.metric[l] ?? '').join('/')] = Number(s.value[1]);
  return out;
}

/** One log record as VictoriaLogs returns it: `_msg` is the body, attributes and resource attributes are fields. */
export type VictoriaLogsRecord = Record<string, string>;

/** `POST /select/logsql/query`: the records a LogsQL query matches (one JSON object a line). */
export async function victoriaLogsQuery(victoriaLogsUrl: string, query: string): Promise<VictoriaLogsRecord[]> {
  const response = await fetch(`${victoriaLogsUrl}/select/logsql/query`, { method: 'POST', body: new URLSearchParams({ query }) });
  const text = await response.text();
  if (!response.ok) throw new Error(`VictoriaLogs answered ${response.status} to ${query}: ${text}`);
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as VictoriaLogsRecord);
}
