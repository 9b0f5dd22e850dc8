/**
 * The demo pipeline through the real stack: a Collector, Jaeger and
 * Prometheus built or installed by scripts/install-stack-tools.sh, run as
 * local processes on free loopback ports with the files docker-compose.yml
 * mounts. What a user would see is asserted where the user sees it: traces
 * in Jaeger's query API, series and the dashboard's queries in Prometheus.
 *
 * Three demo runs, back to back: A (six months, 2024-03 failing, download
 * made slow by a threshold, fixed memory thresholds), B (three months,
 * 2024-02 failing) and C (six months whose spans cannot be forwarded: its
 * traces endpoint is a closed port, its metrics still reach the collector).
 * Their messages reach VictoriaLogs as log records. A fourth run holds its
 * month open in a stage, to look at the stack while the month runs.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runNodeScript } from '../helpers/run-node.js';
import {
  byLabels,
  type JaegerSpan,
  type JaegerTrace,
  jaegerServices,
  jaegerTraces,
  parentOf,
  promLabelValues,
  promMetricNames,
  promQuery,
  promSeries,
  tag,
  victoriaLogsQuery,
} from './support/apis.js';
import { countBy, type DemoRun, readDemoRun } from './support/audit-files.js';
import {
  allPanels,
  dataLinks,
  datasourceRefs,
  loadDashboard,
  logsQueries,
  matcherBlocks,
  type Panel,
  promQueries,
  provisionedDatasources,
  selectorMetricNames,
  substitute,
  variableQuery,
} from './support/dashboard.js';
import { freePorts, waitFor } from './support/processes.js';
import { type RunningStack, startStack } from './support/stack.js';
import { findStackTools } from './support/stack-tools.js';

const SERVICE = 'demo-monthly-pipeline';
const WARNING_MB = 4000;
const CRITICAL_MB = 6000;
/** Every demo download sleeps at least 100 ms, so each one is slow against this. */
const DOWNLOAD_THRESHOLD_S = 0.1;

let workDir: string;
let stack: RunningStack | undefined;
let runA: DemoRun;
let runB: DemoRun;
let runC: DemoRun;
/** Session A's traces as Jaeger returns them. */
let tracesA: JaegerTrace[];

async function runDemo(name: string, args: string[], env: Record<string, string>): Promise<DemoRun> {
  const logDir = join(workDir, `logs-${name}`);
  const run = await runNodeScript('examples/monthly-pipeline.ts', {
    args: [...args, '--log-dir', logDir],
    env: { NO_COLOR: '1', ...env },
    timeoutMs: 90_000,
  });
  if (run.code !== 0) throw new Error(`demo run ${name} exited ${run.code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
  return readDemoRun(logDir, run.stdout, run.stderr);
}

/** The stage executions of a run by `stage/outcome`, from its performance file. */
function stageCounts(run: DemoRun): Record<string, number> {
  return countBy(
    run.performance.filter((r) => r.record_type === 'stage'),
    (r) => `${r.stage}/${r.outcome}`,
  );
}

const spanTags = (span: JaegerSpan) => Object.fromEntries(span.tags.map((t) => [t.key, t.value]));

describe('the demo through a real Collector, Jaeger and Prometheus', () => {
  beforeAll(async () => {
    const tools = findStackTools();
    workDir = await mkdtemp(join(tmpdir(), 'stagetrace-e2e-'));
    stack = await startStack(tools, workDir);
    const otlp = { OTEL_EXPORTER_OTLP_ENDPOINT: stack.otlpHttpUrl };
    runA = await runDemo('a', ['--months', '6', '--fail-month', '2024-03'], {
      ...otlp,
      STAGETRACE_STAGE_THRESHOLDS: `download=${DOWNLOAD_THRESHOLD_S}`,
      STAGETRACE_MEMORY_WARNING_MB: String(WARNING_MB),
      STAGETRACE_MEMORY_CRITICAL_MB: String(CRITICAL_MB),
    });
    // Run A goes over the default protocol (http/protobuf), run B over http/json: both reach the same stack.
    runB = await runDemo('b', ['--months', '3', '--fail-month', '2024-02'], { ...otlp, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
    // Spans to a closed port, metrics to the collector. The forward keeps
    // spans for retries; a queue of ten spans fills during the run, so the
    // rest are dropped (reason `queue_full`) and counted before the run's
    // last metric export. A short export timeout keeps the retries short.
    const [closed] = (await freePorts(1)) as [number];
    runC = await runDemo('c', ['--months', '6'], {
      ...otlp,
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${closed}/v1/traces`,
      OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '500',
      STAGETRACE_OTLP_MAX_QUEUE_SPANS: '10',
    });

    const prometheusUrl = stack.prometheusUrl;
    const expected = (run: DemoRun) => run.performance.filter((r) => r.record_type === 'stage').length;
    // What Prometheus held at the last poll, for the message if it never gets there.
    let seen = '';
    await waitFor(
      `Prometheus to hold job="${SERVICE}" stage executions ${expected(runA)} for run A (instance ${runA.sessionId}), ${expected(runB)} for run B (${runB.sessionId}), and dropped spans for run C (${runC.sessionId})`,
      async () => {
        const executions = await promQuery(prometheusUrl, 'sum by (job, instance) (stagetrace_stage_executions_total)');
        const drops = await promQuery(prometheusUrl, `stagetrace_otlp_dropped_spans_total{instance="${runC.sessionId}"}`);
        seen = `${JSON.stringify(executions.map((s) => ({ ...s.metric, value: s.value[1] })))}; run C drops: ${drops.length} series`;
        const byInstance = byLabels(
          executions.filter((s) => s.metric.job === SERVICE),
          'instance',
        );
        return byInstance[runA.sessionId] === expected(runA) && byInstance[runB.sessionId] === expected(runB) && drops.length > 0
          ? true
          : undefined;
      },
      { timeoutMs: 60_000, describe: () => `\nPrometheus held: ${seen}${stack?.describe() ?? ''}` },
    );
    const jaegerUrl = stack.jaegerUrl;
    tracesA = await waitFor(
      "Jaeger to hold run A's six traces, complete",
      async () => {
        const traces = await jaegerTraces(jaegerUrl, SERVICE, { 'stagetrace.session.id': runA.sessionId });
        const spans = traces.reduce((n, t) => n + t.spans.length, 0);
        return traces.length === 6 && spans === runA.performance.length ? traces : undefined;
      },
      { timeoutMs: 60_000, describe: () => stack?.describe() ?? '' },
    );
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  }, 60_000);

  describe('Jaeger', () => {
    it('lists the demo as a service, and not Jaeger itself', async () => {
      const services = await jaegerServices(stack?.jaegerUrl as string);
      expect(services).toContain(SERVICE);
      expect(services).not.toContain('jaeger');
    });

    it('holds the run sent over http/json as whole as the one sent over http/protobuf: one complete trace per month', async () => {
      const traces = await waitFor(
        "Jaeger to hold run B's three traces, complete",
        async () => {
          const found = await jaegerTraces(stack?.jaegerUrl as string, SERVICE, { 'stagetrace.session.id': runB.sessionId });
          const spans = found.reduce((n, t) => n + t.spans.length, 0);
          return found.length === 3 && spans === runB.performance.length ? found : undefined;
        },
        { timeoutMs: 60_000, describe: () => stack?.describe() ?? '' },
      );
      const ids = new Set(runB.structured.map((r) => (r as { trace_id?: string }).trace_id).filter((id) => typeof id === 'string'));
      expect(new Set(traces.map((t) => t.traceID))).toEqual(ids);
    });

    it('holds one trace per month, each a month root with the stages as its children', () => {
      const months = tracesA.map((trace) => {
        const roots = trace.spans.filter((s) => parentOf(s) === undefined);
        expect(roots, `roots of trace ${trace.traceID}`).toHaveLength(1);
        const root = roots[0] as JaegerSpan;
        expect(root.operationName).toBe('month');
        const children = trace.spans.filter((s) => parentOf(s) === root.spanID).map((s) => s.operationName);
        // Every other span hangs directly off the month.
        expect(children).toHaveLength(trace.spans.length - 1);
        const month = tag(root, 'stagetrace.month') as string;
        expect(children.sort(), month).toEqual(
          month === '2024-03' ? ['download', 'process', 'validate'] : ['download', 'process', 'upload', 'validate'],
        );
        expect(trace.processes[root.processID]?.serviceName).toBe(SERVICE);
        return month;
      });
      expect(months.sort()).toEqual(['2024-01', '2024-02', '2024-03', '2024-04', '2024-05', '2024-06']);
    });

    it("carries each span's context attributes as the audit files record them", () => {
      const spans = new Map(tracesA.flatMap((t) => t.spans).map((s) => [s.spanID, s]));
      const ends = runA.structured.filter((r) => r.stage_event === 'end');
      expect(ends).toHaveLength(runA.performance.length);
      for (const record of ends) {
        const span = spans.get(record.span_id as string);
        expect(span, `span ${record.span_id} of ${record.stage} ${record.month}`).toBeDefined();
        const tags = spanTags(span as JaegerSpan);
        expect(tags['stagetrace.month']).toBe(record.month);
        expect(tags['stagetrace.outcome']).toBe(record.outcome);
        const context = record.context ?? {};
        expect(Object.keys(context).length, `context of ${record.stage}`).toBeGreaterThan(0);
        for (const [key, value] of Object.entries(context)) {
          const actual = tags[`stagetrace.context.${key}`];
          // Arrays are span attributes of their own type; Jaeger shows them as JSON text.
          const shown = typeof actual === 'string' && Array.isArray(value) ? JSON.parse(actual) : actual;
          expect(shown, `stagetrace.context.${key} on ${record.stage} ${record.month}`).toEqual(value);
        }
      }
      const month = tracesA.flatMap((t) => t.spans).find((s) => s.operationName === 'month');
      expect(tag(month as JaegerSpan, 'stagetrace.context.source')).toBe('demo-bucket');
      expect(tag(month as JaegerSpan, 'stagetrace.session.id')).toBe(runA.sessionId);
    });

    it('shows the failed month and its failed stage in ERROR, with the exception event and its cause', () => {
      const failed = tracesA.find((t) => t.spans.some((s) => s.operationName === 'month' && tag(s, 'stagetrace.month') === '2024-03'));
      expect(failed).toBeDefined();
      const month = failed?.spans.find((s) => s.operationName === 'month') as JaegerSpan;
      const validate = failed?.spans.find((s) => s.operationName === 'validate') as JaegerSpan;
      for (const span of [month, validate]) {
        expect(tag(span, 'otel.status_code'), span.operationName).toBe('ERROR');
        expect(tag(span, 'stagetrace.outcome'), span.operationName).toBe('failure');
        const exception = span.logs.find((l) => l.fields.some((f) => f.key === 'event' && f.value === 'exception'));
        expect(exception, `exception event on ${span.operationName}`).toBeDefined();
        const fields = Object.fromEntries((exception?.fields ?? []).map((f) => [f.key, f.value]));
        expect(fields['exception.message']).toMatch(/^2024-03: 1 trade\(s\) with a negative price/);
        expect(fields['exception.stacktrace']).toMatch(/Caused by: RangeError: line \d+ of 2024-03\.csv: \w+ price -/);
      }
      for (const trace of tracesA.filter((t) => t !== failed)) {
        for (const span of trace.spans)
          expect(tag(span, 'otel.status_code'), `${span.operationName} in ${trace.traceID}`).not.toBe('ERROR');
      }
    });

    it('has no child span ending after its parent', () => {
      for (const trace of tracesA) {
        const byId = new Map(trace.spans.map((s) => [s.spanID, s]));
        for (const span of trace.spans) {
          const parent = byId.get(parentOf(span) ?? '');
          if (!parent) continue;
          const childEnd = span.startTime + span.duration;
          const parentEnd = parent.startTime + parent.duration;
          expect(
            childEnd,
            `${span.operationName} ends ${childEnd - parentEnd} µs after its month (${tag(parent, 'stagetrace.month')})`,
          ).toBeLessThanOrEqual(parentEnd);
          expect(span.startTime, `${span.operationName} starts before its month`).toBeGreaterThanOrEqual(parent.startTime);
        }
      }
    });

    it('finds failed months by the tag stagetrace.outcome=failure', async () => {
      const found = await jaegerTraces(stack?.jaegerUrl as string, SERVICE, { 'stagetrace.outcome': 'failure' });
      const months = found.flatMap((t) => t.spans.filter((s) => s.operationName === 'month').map((s) => tag(s, 'stagetrace.month')));
      // Run A's 2024-03 and run B's 2024-02 (run C's spans never reached Jaeger).
      expect(months.sort()).toEqual(['2024-02', '2024-03']);
    });

    it('holds exactly the trace and span ids of structured_processing.jsonl, both ways', () => {
      const inFile = new Set(runA.structured.filter((r) => r.span_id !== null).map((r) => `${r.trace_id}/${r.span_id}`));
      const inJaeger = new Set(tracesA.flatMap((t) => t.spans.map((s) => `${s.traceID}/${s.spanID}`)));
      expect(
        [...inFile].filter((id) => !inJaeger.has(id)),
        'in the file, not in Jaeger',
      ).toEqual([]);
      expect(
        [...inJaeger].filter((id) => !inFile.has(id)),
        'in Jaeger, not in the file',
      ).toEqual([]);
      expect(inJaeger.size).toBe(runA.performance.length);
    });
  });

  describe('VictoriaLogs', () => {
    const logsUrl = () => stack?.victoriaLogsUrl as string;
    const messagesOf = (run: DemoRun) => run.structured.filter((r) => r.record_type === 'message');
    const asText = (span: string | null | undefined, level: string | undefined, message: string | undefined) =>
      `${span ?? '-'} ${level} ${message}`;

    it("holds every message of run A, found by the session id, with the file's text and level", async () => {
      const inFile = messagesOf(runA).map((r) => asText(r.span_id, r.level, r.message));
      const found = await waitFor(
        `VictoriaLogs to hold run A's ${inFile.length} messages`,
        async () => {
          const records = await victoriaLogsQuery(logsUrl(), `"stagetrace.session.id":"${runA.sessionId}"`);
          return records.length >= inFile.length ? records : undefined;
        },
        { timeoutMs: 60_000, describe: () => stack?.describe() ?? '' },
      );
      expect(found.map((r) => asText(r.span_id, r.severity_text, r._msg)).sort()).toEqual(inFile.sort());
    });

    it("finds each month's messages by its trace id, equal to the file's, with the span ids of their stages", async () => {
      const byTrace = new Map<string, string[]>();
      for (const r of messagesOf(runA)) {
        if (r.trace_id === null) continue;
        byTrace.set(r.trace_id, [...(byTrace.get(r.trace_id) ?? []), asText(r.span_id, r.level, r.message)]);
      }
      expect(byTrace.size).toBeGreaterThan(0);
      for (const [traceId, inFile] of byTrace) {
        const records = await victoriaLogsQuery(logsUrl(), `trace_id:"${traceId}"`);
        expect(records.map((r) => asText(r.span_id, r.severity_text, r._msg)).sort(), traceId).toEqual(inFile.sort());
      }
    });

    it("records each message logged with an error with its exception, as the file's error fields have it", async () => {
      const withError = messagesOf(runA).filter((r) => r.error_type !== undefined);
      expect(withError.length).toBeGreaterThan(0);
      const records = await victoriaLogsQuery(logsUrl(), `"stagetrace.session.id":"${runA.sessionId}"`);
      const inLogs = records
        .filter((r) => r['exception.type'] !== undefined)
        .map((r) => `${r._msg} | ${r['exception.type']}: ${r['exception.message']}`);
      expect(inLogs.sort()).toEqual(withError.map((r) => `${r.message} | ${r.error_type}: ${r.error_message}`).sort());
      for (const r of records.filter((x) => x['exception.type'] !== undefined)) {
        expect(r['exception.stacktrace']).toContain(r['exception.type']);
      }
    });

    it("answers the dashboard's messages panel: the run picked, narrowed by the month and level pickers, equal to the files", async () => {
      const [panel, ...others] = logsQueries(loadDashboard());
      expect(others).toEqual([]);
      const expr = (panel as { expr: string }).expr;
      const query = async (values: Record<string, string>) =>
        (await victoriaLogsQuery(logsUrl(), substitute(expr, values))).map((r) => asText(r.span_id, r.severity_text, r._msg)).sort();
      const fileText = (keep: (r: DemoRun['structured'][number]) => boolean) =>
        messagesOf(runA)
          .filter(keep)
          .map((r) => asText(r.span_id, r.level, r.message))
          .sort();
      // Each demo run is one process, so its run id is its session id. "All" months and levels first: the panel as opened.
      const all = await query({ run: runA.sessionId, month: '.*', level: '.*' });
      expect(all).toEqual(fileText(() => true));
      expect(await query({ run: runA.sessionId, month: '2024-03', level: '.*' })).toEqual(fileText((r) => r.month === '2024-03'));
      const errors = fileText((r) => r.level === 'ERROR');
      expect(errors.length).toBeGreaterThan(0);
      expect(await query({ run: runA.sessionId, month: '.*', level: 'ERROR' })).toEqual(errors);
      // All runs: run A's and run B's messages.
      const both = await query({ run: '.+', month: '.*', level: '.*' });
      expect(both.length).toBeGreaterThanOrEqual(all.length + messagesOf(runB).length);
    });

    it("links each message's trace id to its trace through the provisioned Jaeger data source", () => {
      const victoriaLogs = provisionedDatasources().find((d) => d.type === 'victoriametrics-logs-datasource') as unknown as {
        jsonData?: { derivedFields?: { matcherType: string; matcherRegex: string; datasourceUid: string; url: string }[] };
      };
      const jaeger = provisionedDatasources().find((d) => d.type === 'jaeger');
      expect(victoriaLogs?.jsonData?.derivedFields).toEqual([
        expect.objectContaining({ matcherType: 'label', matcherRegex: 'trace_id', datasourceUid: jaeger?.uid, url: '$${__value.raw}' }),
      ]);
    });
  });

  describe('Prometheus', () => {
    const query = (expr: string) => promQuery(stack?.prometheusUrl as string, expr);

    it('holds the stage duration histogram with counts equal to the executions per stage and outcome in the files and the report', async () => {
      for (const run of [runA, runB]) {
        const files = stageCounts(run);
        const counts = byLabels(
          await query(`stagetrace_stage_duration_seconds_count{job="${SERVICE}",instance="${run.sessionId}"}`),
          'stagetrace_stage_name',
          'stagetrace_outcome',
        );
        expect(counts, run.sessionId).toEqual(files);
        const executions = byLabels(
          await query(`stagetrace_stage_executions_total{job="${SERVICE}",instance="${run.sessionId}"}`),
          'stagetrace_stage_name',
          'stagetrace_outcome',
        );
        expect(executions, run.sessionId).toEqual(files);
        // The printed session report agrees with both.
        for (const [stage, row] of Object.entries(run.report)) {
          expect(row.runs, stage).toBe((files[`${stage}/success`] ?? 0) + (files[`${stage}/failure`] ?? 0));
          expect(row.ok, stage).toBe(files[`${stage}/success`] ?? 0);
          expect(row.failed, stage).toBe(files[`${stage}/failure`] ?? 0);
        }
        expect(Object.keys(run.report).sort()).toEqual(['download', 'process', 'upload', 'validate']);
      }
      // Sums: the files' durations are rounded to the millisecond.
      const sums = byLabels(
        await query(`sum by (stagetrace_stage_name) (stagetrace_stage_duration_seconds_sum{instance="${runA.sessionId}"})`),
        'stagetrace_stage_name',
      );
      for (const [stage, sum] of Object.entries(sums)) {
        const records = runA.performance.filter((r) => r.record_type === 'stage' && r.stage === stage);
        const fileSum = records.reduce((s, r) => s + r.duration_seconds, 0);
        expect(Math.abs(sum - fileSum), stage).toBeLessThanOrEqual(0.001 * records.length);
      }
      const infBuckets = byLabels(
        await query(`stagetrace_stage_duration_seconds_bucket{instance="${runA.sessionId}",le="+Inf"}`),
        'stagetrace_stage_name',
        'stagetrace_outcome',
      );
      expect(infBuckets).toEqual(stageCounts(runA));
    });

    it('holds the month histogram: one count per month, with its outcome', async () => {
      const months = byLabels(
        await query(`stagetrace_month_duration_seconds_count{instance="${runA.sessionId}"}`),
        'stagetrace_month',
        'stagetrace_outcome',
      );
      expect(months).toEqual({
        '2024-01/success': 1,
        '2024-02/success': 1,
        '2024-03/failure': 1,
        '2024-04/success': 1,
        '2024-05/success': 1,
        '2024-06/success': 1,
      });
    });

    it('counts slow stages and logged messages as the files record them', async () => {
      const slowInFiles = countBy(
        runA.performance.filter((r) => r.record_type === 'stage' && r.slow),
        (r) => r.stage,
      );
      expect(slowInFiles.download).toBe(6);
      const slow = byLabels(await query(`stagetrace_stage_slow_total{instance="${runA.sessionId}"}`), 'stagetrace_stage_name');
      expect(slow).toEqual(slowInFiles);
      expect(runA.report.download?.slow).toBe(6);

      const messagesInFiles = countBy(
        // The session's start and end records are not logged messages.
        runA.structured.filter((r) => r.record_type === 'message' && !('session.event' in ((r as { context?: object }).context ?? {}))),
        (r) => r.level,
      );
      const messages = byLabels(await query(`stagetrace_log_messages_total{instance="${runA.sessionId}"}`), 'log_level');
      expect(messages).toEqual(messagesInFiles);
    });

    it('holds the memory gauges, the state and the thresholds in force', async () => {
      const at = `{instance="${runA.sessionId}"}`;
      const rss = Number((await query(`stagetrace_memory_rss_bytes${at}`))[0]?.value[1]);
      const peakMb = Math.max(...runA.structured.map((r) => (r as { memory_mb?: number }).memory_mb ?? 0));
      expect(rss).toBeGreaterThan(10 * 1024 * 1024);
      expect(rss).toBeLessThanOrEqual((peakMb + 64) * 1024 * 1024);
      for (const name of [
        'stagetrace_memory_heap_used_bytes',
        'stagetrace_memory_heap_total_bytes',
        'stagetrace_memory_external_bytes',
        'stagetrace_memory_array_buffers_bytes',
      ]) {
        expect((await query(`${name}${at}`)).length, name).toBe(1);
      }
      expect(Number((await query(`stagetrace_memory_state${at}`))[0]?.value[1])).toBe(0);
      const thresholds = byLabels(await query(`stagetrace_memory_threshold_bytes${at}`), 'memory_threshold_level');
      expect(thresholds).toEqual({ warning: WARNING_MB * 1024 * 1024, critical: CRITICAL_MB * 1024 * 1024 });
    });

    it('labels series with job = service.name and instance = session id; host and process attributes only in target_info', async () => {
      const series = await promSeries(stack?.prometheusUrl as string, `{instance="${runA.sessionId}"}`);
      const labelNames = new Set(series.flatMap((s) => Object.keys(s)));
      for (const s of series) expect(s.job, s.__name__).toBe(SERVICE);
      const info = series.filter((s) => s.__name__ === 'target_info');
      expect(info).toHaveLength(1);
      expect(info[0]?.process_pid).toMatch(/^\d+$/);
      expect(info[0]?.host_name).toBeTruthy();
      const elsewhere = series.filter((s) => s.__name__ !== 'target_info');
      for (const label of ['process_pid', 'process_command_args', 'host_name', 'service_name']) {
        expect(
          elsewhere.filter((s) => label in s).map((s) => s.__name__),
          `series carrying ${label}`,
        ).toEqual([]);
      }
      expect(labelNames.has('exported_job')).toBe(false);
      const executions = series.filter((s) => s.__name__ === 'stagetrace_stage_executions_total');
      expect(executions.length).toBeGreaterThan(0);
      for (const s of executions) {
        // error.type only on the failure and interruption series.
        const errorType = s.stagetrace_outcome === 'success' ? [] : ['error_type'];
        expect(Object.keys(s).sort()).toEqual([
          '__name__',
          ...errorType,
          'instance',
          'job',
          'otel_scope_name',
          'otel_scope_version',
          'stagetrace_outcome',
          'stagetrace_stage_name',
        ]);
      }
    });

    it('keeps two runs apart: each its own instance, neither run overwriting the other', async () => {
      const totals = byLabels(
        await query(`sum by (instance) (stagetrace_stage_executions_total{job="${SERVICE}",stagetrace_stage_name="download"})`),
        'instance',
      );
      expect(totals[runA.sessionId]).toBe(6);
      expect(totals[runB.sessionId]).toBe(3);
      expect(runA.sessionId).not.toBe(runB.sessionId);
      const failedMonths = byLabels(
        await query(`sum by (instance) (stagetrace_month_duration_seconds_count{job="${SERVICE}",stagetrace_outcome="failure"})`),
        'instance',
      );
      expect(failedMonths[runA.sessionId]).toBe(1);
      expect(failedMonths[runB.sessionId]).toBe(1);
    });

    it('counts the spans a run could not forward, by reason', async () => {
      const drops = byLabels(await query(`stagetrace_otlp_dropped_spans_total{instance="${runC.sessionId}"}`), 'stagetrace_drop_reason');
      const total = Object.values(drops).reduce((a, b) => a + b, 0);
      expect(total).toBeGreaterThan(0);
      expect(total).toBeLessThanOrEqual(runC.performance.length);
    });
  });

  describe('the Grafana dashboard', () => {
    const dashboard = loadDashboard();

    it('returns data for every PromQL expression, with the template variables substituted', async () => {
      const queries = promQueries(dashboard);
      expect(queries.length).toBeGreaterThanOrEqual(12);
      const empty: string[] = [];
      // "All" runs, then one run: the dashboard as first opened, and with one run picked.
      for (const instance of ['.+', runA.sessionId]) {
        for (const { where, expr } of queries) {
          const result = await promQuery(stack?.prometheusUrl as string, substitute(expr, { job: SERVICE, instance }));
          // Run A forwarded every span, so its drop count is rightly empty (the panel shows 0).
          if (result.length === 0 && !(instance === runA.sessionId && expr.includes('stagetrace_otlp_dropped_spans_total'))) {
            empty.push(`${where} (instance=${instance}): ${expr}`);
          }
        }
      }
      expect(empty, 'queries without data').toEqual([]);
    });

    it('queries only metrics Prometheus holds, each filtered by the job and instance variables', async () => {
      const names = new Set(await promMetricNames(stack?.prometheusUrl as string));
      for (const { where, expr } of promQueries(dashboard)) {
        const metrics = selectorMetricNames(expr);
        expect(metrics.length, where).toBeGreaterThan(0);
        for (const metric of metrics) expect(names.has(metric), `${where}: ${metric}`).toBe(true);
        for (const block of matcherBlocks(expr)) {
          expect(block, where).toContain('job=~"$job"');
          expect(block, where).toContain('instance=~"$instance"');
        }
      }
    });

    it('fills its service, run and process pickers from Prometheus: every run, and the processes of the run picked', async () => {
      const variables = Object.fromEntries(dashboard.templating.list.map((v) => [v.name, v]));
      const query = (name: string) => variableQuery(variables[name] as (typeof dashboard.templating.list)[number]);
      const prometheusUrl = stack?.prometheusUrl as string;
      expect(await promLabelValues(prometheusUrl, query('job').label, query('job').selector)).toContain(SERVICE);
      // Each demo run is one process, so its run id is its session id.
      const runs = await promLabelValues(prometheusUrl, query('run').label, substitute(query('run').selector, { job: SERVICE }));
      expect(runs).toEqual(expect.arrayContaining([runA.sessionId, runB.sessionId, runC.sessionId]));
      const instance = query('instance');
      const all = await promLabelValues(prometheusUrl, instance.label, substitute(instance.selector, { job: SERVICE, run: '.+' }));
      expect(all).toEqual(expect.arrayContaining([runA.sessionId, runB.sessionId, runC.sessionId]));
      const picked = await promLabelValues(
        prometheusUrl,
        instance.label,
        substitute(instance.selector, { job: SERVICE, run: runB.sessionId }),
      );
      expect(picked).toEqual([runB.sessionId]);
    });

    it('tells the runs apart: its per-run panels show run A and run B each with its own values', async () => {
      const perRun = promQueries(dashboard).filter(({ expr }) => /by \((?:job, )?instance\b/.test(expr));
      expect(perRun.length).toBeGreaterThanOrEqual(3);
      for (const { where, expr } of perRun) {
        const samples = await promQuery(stack?.prometheusUrl as string, substitute(expr, { job: SERVICE, instance: '.+' }));
        const instances = new Set(samples.map((s) => s.metric.instance));
        expect([...instances], where).toEqual(expect.arrayContaining([runA.sessionId, runB.sessionId]));
      }
      // The months table: six months for run A, three for run B, each with its own outcome.
      const months = promQueries(dashboard).find(({ expr }) => expr.includes('stagetrace_month_duration_seconds_sum'));
      const rows = await promQuery(stack?.prometheusUrl as string, substitute(months?.expr as string, { job: SERVICE, instance: '.+' }));
      const failedBy = (run: DemoRun) =>
        rows
          .filter((r) => r.metric.instance === run.sessionId && r.metric.stagetrace_outcome === 'failure')
          .map((r) => r.metric.stagetrace_month);
      expect(rows.filter((r) => r.metric.instance === runA.sessionId)).toHaveLength(6);
      expect(rows.filter((r) => r.metric.instance === runB.sessionId)).toHaveLength(3);
      expect(failedBy(runA)).toEqual(['2024-03']);
      expect(failedBy(runB)).toEqual(['2024-02']);
    });

    it('shows trends across runs over its own 90 days: stage p95, month duration and failed months, each run by its session id', async () => {
      const trend = (title: string) => {
        const panel = allPanels(dashboard).find((p) => p.title === title) as Panel & { timeFrom?: string };
        expect(panel, title).toBeDefined();
        expect(panel.timeFrom, title).toBe('90d');
        return (instance: string) =>
          promQuery(
            stack?.prometheusUrl as string,
            substitute(panel.targets?.[0]?.expr as string, { job: SERVICE, instance }, panel.timeFrom),
          );
      };
      const p95 = await trend('Stage p95 per run')('.+');
      for (const run of [runA, runB]) {
        const stages = p95.filter((s) => s.metric.instance === run.sessionId);
        expect(stages.map((s) => s.metric.stagetrace_stage_name).sort(), run.sessionId).toEqual([
          'download',
          'process',
          'upload',
          'validate',
        ]);
        for (const s of stages) {
          const slowest = Math.max(
            ...run.performance
              .filter((r) => r.record_type === 'stage' && r.stage === s.metric.stagetrace_stage_name)
              .map((r) => r.duration_seconds),
          );
          // A quantile of a histogram: within the bucket the slowest execution falls in, never above the largest bucket.
          expect(Number(s.value[1]), `${run.sessionId} ${s.metric.stagetrace_stage_name}`).toBeGreaterThan(0);
          expect(Number(s.value[1]), `${run.sessionId} ${s.metric.stagetrace_stage_name}`).toBeLessThanOrEqual(
            Math.max(slowest * 2.5, 0.01),
          );
        }
      }
      const months = await trend('Month duration across runs')(runA.sessionId);
      const monthsInFile = Object.fromEntries(
        runA.performance.filter((r) => r.record_type === 'month').map((r) => [r.month as string, r.duration_seconds]),
      );
      expect(Object.keys(byLabels(months, 'stagetrace_month')).sort()).toEqual(Object.keys(monthsInFile).sort());
      for (const [month, seconds] of Object.entries(byLabels(months, 'stagetrace_month')))
        expect(Math.abs(seconds - (monthsInFile[month] as number)), month).toBeLessThanOrEqual(0.001);
      const failed = byLabels(await trend('Failed months per run')('.+'), 'instance');
      // Run C failed nothing and is listed with 0, not left out.
      expect(failed).toMatchObject({ [runA.sessionId]: 1, [runB.sessionId]: 1, [runC.sessionId]: 0 });
    });

    it('uses only data sources the provisioning file defines', () => {
      const defined = new Map(provisionedDatasources().map((d) => [d.uid, d.type]));
      for (const { where, ref } of datasourceRefs(dashboard)) {
        expect(ref?.uid, `${where} names no data source uid`).toBeDefined();
        expect(defined.get(ref?.uid as string), `${where}: uid ${ref?.uid}`).toBe(ref?.type);
      }
      expect(allPanels(dashboard).length).toBeGreaterThanOrEqual(10);
    });

    it("links a month to its trace: the link's search finds exactly that month of that run in Jaeger", async () => {
      const links = dataLinks(dashboard).filter((l) => l.url.includes('/search?'));
      expect(links).toHaveLength(1);
      const { panel, url } = links[0] as (typeof links)[number];
      const target = panel.targets?.[0]?.expr as string;
      const rows = await promQuery(stack?.prometheusUrl as string, substitute(target, { job: SERVICE, instance: runA.sessionId }));
      const row = rows.find((r) => r.metric.stagetrace_month === '2024-03');
      expect(row, 'the months table has 2024-03 of run A').toBeDefined();
      const now = Date.now();
      // Grafana's interpolation of the link: dashboard variables, the time range, the row's fields.
      const values: Record<string, string> = {
        jaeger_url: stack?.jaegerUrl as string,
        __from: String(now - 3_600_000),
        __to: String(now),
        ...Object.fromEntries(Object.entries(row?.metric ?? {}).map(([k, v]) => [`__data.fields.${k}`, v])),
      };
      const href = url.replace(/\$\{([\w.]+)\}/g, (_, name: string) => values[name] ?? `<no value for ${name}>`);
      const parsed = new URL(href);
      expect(parsed.pathname).toBe('/search');
      // The UI's search page and the query API take the same parameters.
      const { service, tags, start, end, limit } = Object.fromEntries(parsed.searchParams);
      const found = await jaegerTraces(stack?.jaegerUrl as string, service as string, JSON.parse(tags as string), {
        start: start as string,
        end: end as string,
        limit: limit as string,
      });
      expect(found).toHaveLength(1);
      const month = found[0]?.spans.find((s) => s.operationName === 'month') as JaegerSpan;
      expect(tag(month, 'stagetrace.month')).toBe('2024-03');
      expect(tag(month, 'stagetrace.session.id')).toBe(runA.sessionId);
    });
  });
  describe('a month while it runs', () => {
    it("shows the running stage in the active-stage series and the dashboard's running-now panel, and its finished stage in Jaeger already", async () => {
      const release = join(workDir, 'release-held-month');
      const service = 'held-month';
      const launchedAtMs = Date.now();
      const running = runNodeScript('test/e2e/fixtures/held-month.ts', {
        env: {
          OTEL_EXPORTER_OTLP_ENDPOINT: stack?.otlpHttpUrl as string,
          OTEL_SERVICE_NAME: service,
          OTEL_METRIC_EXPORT_INTERVAL: '500',
          STAGETRACE_LOG_DIR: join(workDir, 'logs-held'),
          HELD_MONTH_RELEASE: release,
        },
        timeoutMs: 120_000,
      });
      try {
        const prometheusUrl = stack?.prometheusUrl as string;
        const active = await waitFor(
          'Prometheus to show the held stage running',
          async () => {
            const samples = await promQuery(prometheusUrl, `stagetrace_stage_active{job="${service}"} > 0`);
            return samples.length > 0 ? samples : undefined;
          },
          { timeoutMs: 60_000, describe: () => stack?.describe() ?? '' },
        );
        expect(active.map((s) => s.metric.stagetrace_stage_name)).toEqual(['process']);
        const panel = allPanels(loadDashboard()).find((p) => p.title?.startsWith('Running now'));
        const panelQuery = (metric: string) => {
          const expr = panel?.targets?.find((t) => (t.expr as string).includes(`${metric}{`))?.expr as string;
          return promQuery(prometheusUrl, substitute(expr, { job: service, instance: '.+' }));
        };
        const rows = await panelQuery('stagetrace_stage_active');
        expect(rows.filter((r) => Number(r.value[1]) > 0).map((r) => r.metric.stagetrace_stage_name)).toEqual(['process']);
        // For how long: the held stage has run for a while, not longer than the process has.
        const since = await waitFor(
          'the panel to say how long the held stage has run',
          async () => {
            const found = (await panelQuery('stagetrace_stage_active_duration_seconds')).filter((r) => Number(r.value[1]) > 0);
            return found.length > 0 ? found : undefined;
          },
          { timeoutMs: 30_000, describe: () => stack?.describe() ?? '' },
        );
        expect(since.map((r) => r.metric.stagetrace_stage_name)).toEqual(['process']);
        expect(Number(since[0]?.value[1])).toBeLessThanOrEqual((Date.now() - launchedAtMs) / 1000);
        const monthFor = (await panelQuery('stagetrace_month_active_duration_seconds')).filter((r) => Number(r.value[1]) > 0);
        expect(monthFor.map((r) => r.metric.stagetrace_month)).toEqual(['2024-01']);
        expect(Number(monthFor[0]?.value[1])).toBeGreaterThanOrEqual(Number(since[0]?.value[1]));
        const months = await promQuery(prometheusUrl, `stagetrace_month_active{job="${service}"} > 0`);
        expect(months.map((s) => s.metric.stagetrace_month)).toEqual(['2024-01']);
        // The month's root has not ended, yet its finished stage is in Jaeger under the month's trace.
        const traces = await waitFor(
          'Jaeger to hold the finished download stage',
          async () => {
            const found = await jaegerTraces(stack?.jaegerUrl as string, service, { 'stagetrace.stage.name': 'download' });
            return found.length > 0 ? found : undefined;
          },
          { timeoutMs: 60_000, describe: () => stack?.describe() ?? '' },
        );
        const spans = traces.flatMap((t) => t.spans.map((sp) => sp.operationName));
        expect(spans).toContain('download');
        expect(spans).not.toContain('month');
      } finally {
        await writeFile(release, '');
      }
      const run = await running;
      expect(run.code, run.stderr).toBe(0);
    }, 180_000);
  });
});
