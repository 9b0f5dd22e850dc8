import type { ExportResult } from '@opentelemetry/core';
import type { ResolvedOtlp } from '../config/options.js';
import { resolveConfig } from '../config/resolve-config.js';
import { PartialSuccessWatch } from '../export/partial-success-watch.js';
import { ATTR_MESSAGE_SEQ } from '../model/attribute-names.js';
import { endpointForFiles } from '../model/endpoint-text.js';
import { EXPORT_FAILED, EXPORT_SUCCESS } from '../model/export-result-code.js';
import { createTraceExporter, HEADER_VARIABLES, loadLogExporter } from '../setup/components.js';
import { DeliveryJournal } from '../sinks/audit/delivery-journal.js';
import { type PlannedSession, planReplay } from './replay-plan.js';
import { ReplayError, type ReplayOptions, type ReplayResult, type ReplaySessionResult } from './replay-result.js';

export { ReplayError, type ReplayErrorKind, type ReplayOptions, type ReplayResult, type ReplaySessionResult } from './replay-result.js';

/**
 * Sends the months and stages of a log folder that the collector never
 * acknowledged — with their original trace, span and parent ids, times,
 * attributes, events and status — and records them in otlp_delivery.jsonl
 * as delivered, so a second replay sends nothing. The answer to "the
 * collector was down during the run".
 *
 * Only sessions that forwarded spans over OTLP are replayed (the others
 * had nothing to deliver), and not one whose process still runs on this
 * host. A month or stage whose process was killed before it ended is sent
 * as `interrupted`, ending at the last instant its session recorded. Only
 * stagetrace's own spans are in the files: spans of other instrumentations
 * cannot be replayed.
 *
 * The files are untrusted input: a span with an id or a time a collector
 * cannot take is counted in `invalid` and not sent (it would make the
 * collector refuse the whole request), and every value is cut to the size a
 * live run allows. A batch answered with a `partial_success` rejecting spans
 * is counted in `rejected` and not recorded, so the next replay sends it
 * again. An endpoint read from the files gets no `OTEL_EXPORTER_OTLP_*HEADERS`.
 *
 * Rejects with a {@link ReplayError}: `files` (no such folder or session, a
 * file that cannot be read or written) or `endpoint` (the collector could
 * not be reached or refused; batches it took before are recorded, the rest
 * are sent by the next replay).
 *
 * @example
 * const result = await replayAuditLog('logs', { session: '20250104_020000_a1b2c3', endpoint: 'http://localhost:4318' });
 * console.log(`${result.sent} spans sent`);
 */
export async function replayAuditLog(dir: string, options: ReplayOptions = {}): Promise<ReplayResult> {
  const result: ReplayResult = { sessions: [], sent: 0, messagesSent: 0 };
  let plans: PlannedSession[];
  try {
    plans = await planReplay(dir, options.session);
  } catch (error) {
    throw new ReplayError('files', `stagetrace: replay: ${oneLine(error).replace(/^replay: /, '')}`, result, { cause: error });
  }
  let journal: Journal | undefined;
  const openOnce = () => {
    journal ??= openJournal(dir, result);
    return journal;
  };
  try {
    for (const plan of plans) {
      const session: ReplaySessionResult = {
        sessionId: plan.sessionId,
        endpoint: undefined,
        sent: 0,
        closedByReplay: 0,
        alreadyDelivered: plan.alreadyDelivered,
        notSampled: plan.notSampled,
        notReplayable: plan.notReplayable,
        invalid: plan.invalid,
        invalidReasons: plan.invalidReasons,
        rejected: 0,
        logsEndpoint: undefined,
        messagesSent: 0,
        messagesAlreadyDelivered: plan.messagesAlreadyDelivered,
        messagesNotReplayable: plan.messagesNotReplayable,
        messagesInvalid: plan.messagesInvalid,
        messagesInvalidReasons: plan.messagesInvalidReasons,
        messagesRejected: 0,
      };
      result.sessions.push(session);
      if (plan.delivery === undefined) session.skipped = 'no-otlp';
      else if (plan.running) session.skipped = 'running';
      if (session.skipped !== undefined) continue;
      if (plan.spans.length > 0) await replaySpans(plan, session, options, result, openOnce);
      if (plan.messages.length > 0) await replayMessages(plan, session, options, result, openOnce);
    }
  } finally {
    journal?.journal.close();
  }
  return result;
}

/** Sends a session's spans in batches, recording each batch the collector took. */
async function replaySpans(
  plan: PlannedSession,
  session: ReplaySessionResult,
  options: ReplayOptions,
  result: ReplayResult,
  openOnce: () => Journal,
): Promise<void> {
  const { config, headersWithheld } = replayConfig(plan, options, result, 'traces');
  const exporter = createTraceExporter(config.otlp, { envHeaders: !config.fromFile });
  const url = config.otlp.tracesUrl;
  if (exporter === undefined) throw noEndpoint(result);
  session.endpoint = endpointForFiles(url);
  if (headersWithheld) session.headersWithheld = true;
  const journal = openOnce();
  const { rebuildSpans } = await import('./span-rebuild.js');
  const spans = await rebuildSpans(plan);
  const open = new Set(plan.spans.filter((s) => s.end === undefined).map((s) => s.spanId));
  await sendBatches({
    items: spans,
    size: options.batchSize ?? 512,
    exporter,
    watch: new PartialSuccessWatch(url),
    refused: (error) =>
      refusedError({
        url,
        plan,
        result,
        error,
        what: 'spans',
        done: result.sent === 0 ? 'nothing was sent' : `${result.sent} spans were sent and recorded before`,
      }),
    partlyRejected: (rejected, reason) => {
      session.rejected += rejected;
      session.rejectedReason = reason;
    },
    taken: (batch) => {
      const ids = batch.map((s) => s.spanContext().spanId);
      record(journal, () => journal.journal.delivered(plan.sessionId, ids, 'replay', url), `${ids.length} spans`, url, result);
      session.sent += ids.length;
      result.sent += ids.length;
      for (const id of ids) if (open.has(id)) session.closedByReplay++;
    },
  });
}

/**
 * Sends, as log records, the messages of a session that forwarded logs whose
 * records the collector never acknowledged, recording each batch it took.
 */
async function replayMessages(
  plan: PlannedSession,
  session: ReplaySessionResult,
  options: ReplayOptions,
  result: ReplayResult,
  openOnce: () => Journal,
): Promise<void> {
  const { config, headersWithheld } = replayConfig(plan, options, result, 'logs');
  const url = config.otlp.logsUrl;
  if (url === '') throw noEndpoint(result);
  const exporter = await loadLogExporter(config.otlp, { envHeaders: !config.fromFile });
  session.logsEndpoint = endpointForFiles(url);
  if (headersWithheld) session.headersWithheld = true;
  const journal = openOnce();
  const { rebuildLogRecords } = await import('./log-rebuild.js');
  const records = await rebuildLogRecords(plan);
  await sendBatches({
    items: records,
    size: options.batchSize ?? 512,
    exporter,
    watch: new PartialSuccessWatch(url),
    refused: (error) =>
      refusedError({
        url,
        plan,
        result,
        error,
        what: 'log records',
        done: result.messagesSent === 0 ? 'no message was sent' : `${result.messagesSent} messages were sent and recorded before`,
      }),
    partlyRejected: (rejected, reason) => {
      session.messagesRejected += rejected;
      session.rejectedReason = reason;
    },
    taken: (batch) => {
      const seqs = batch.map((r) => r.attributes[ATTR_MESSAGE_SEQ] as number);
      record(journal, () => journal.journal.logsDelivered(plan.sessionId, seqs, 'replay', url), `${seqs.length} log records`, url, result);
      session.messagesSent += seqs.length;
      result.messagesSent += seqs.length;
    },
  });
}

/** One signal's batches as {@link sendBatches} sends them. */
interface BatchSend<T> {
  items: readonly T[];
  size: number;
  exporter: { export(items: T[], done: (result: ExportResult) => void): void; shutdown(): Promise<void> };
  /** Reads a partial success off the batch's answer; closed with the exporter. */
  watch: PartialSuccessWatch;
  /** The error replay stops with when the collector did not take a batch. */
  refused(error: unknown): ReplayError;
  /** A batch answered with a partial success: not recorded, so the next replay sends it again. */
  partlyRejected(rejected: number, reason: string): void;
  /** A batch the collector took whole: recorded as delivered. */
  taken(batch: T[]): void;
}

/**
 * Sends `items` in batches, one at a time, stopping at the first batch the
 * collector does not take; shuts the exporter down in every case. The same
 * for spans and log records: only what is recorded differs.
 */
async function sendBatches<T>(send: BatchSend<T>): Promise<void> {
  try {
    for (let i = 0; i < send.items.length; i += send.size) {
      const batch = send.items.slice(i, i + send.size);
      const answer = await exportOnce(send.exporter, batch);
      if (answer.code !== EXPORT_SUCCESS) throw send.refused(answer.error);
      const partial = send.watch.take();
      if (partial === undefined) send.taken(batch);
      else send.partlyRejected(Math.min(partial.rejectedSpans, batch.length), partial.errorMessage);
    }
  } finally {
    send.watch.close();
    await send.exporter.shutdown().catch(() => undefined);
  }
}

/** A collector that refused a batch: replay stops there, saying what was sent before and what to do. */
function refusedError(o: {
  url: string;
  plan: PlannedSession;
  result: ReplayResult;
  error: unknown;
  what: string;
  done: string;
}): ReplayError {
  return new ReplayError(
    'endpoint',
    `stagetrace: replay: the collector at ${endpointForFiles(o.url)} did not take session ${o.plan.sessionId}'s ${o.what} (${describe(o.error)}); ${o.done}. Run replay again once it answers.`,
    o.result,
    { cause: o.error },
  );
}

/** The delivery journal, and the last write that failed (replay must know before it sends more). */
interface Journal {
  journal: DeliveryJournal;
  failure: unknown;
}

/** Where a session's spans or log records go, and with which credentials. */
function replayConfig(
  plan: PlannedSession,
  options: ReplayOptions,
  result: ReplayResult,
  signal: 'traces' | 'logs',
): { config: { otlp: ResolvedOtlp; fromFile: boolean }; headersWithheld: boolean } {
  const env = process.env;
  const own = signal === 'traces' ? env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT : env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT;
  const fromEnv = Boolean(own?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim());
  const fromFile = options.endpoint === undefined && !fromEnv;
  const otlp =
    options.endpoint !== undefined
      ? { endpoint: options.endpoint }
      : fromEnv
        ? {}
        : { tracesEndpoint: plan.delivery?.endpoint, logsEndpoint: plan.delivery?.logs_endpoint };
  // An endpoint read from a file is chosen by whoever can edit the file: it gets no credentials.
  const headersWithheld = fromFile && HEADER_VARIABLES.some((name) => env[name]?.trim());
  const configEnv = fromFile ? withoutHeaders(env) : env;
  let config: ReturnType<typeof resolveConfig>;
  try {
    config = resolveConfig(
      { otlp: { ...otlp, timeoutMillis: options.timeoutMillis }, logDir: false, console: false, hostMetrics: false },
      configEnv,
    );
  } catch (error) {
    throw new ReplayError('endpoint', `stagetrace: replay: ${oneLine(error)}`, result, { cause: error });
  }
  if (config.otlp === undefined) throw noEndpoint(result);
  return { config: { otlp: config.otlp, fromFile }, headersWithheld };
}

function noEndpoint(result: ReplayResult): ReplayError {
  return new ReplayError('endpoint', 'stagetrace: replay: no OTLP endpoint: pass --endpoint (or set OTEL_EXPORTER_OTLP_ENDPOINT).', result);
}

function withoutHeaders(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const copy = { ...env };
  for (const name of HEADER_VARIABLES) delete copy[name];
  return copy;
}

function openJournal(dir: string, result: ReplayResult): Journal {
  const state: Journal = {
    journal: new DeliveryJournal({
      dir,
      maxFileBytes: 64 * 1024 * 1024,
      maxFiles: 10,
      onWriteError: (_file, error) => {
        state.failure = error;
      },
    }),
    failure: undefined,
  };
  try {
    state.journal.open();
  } catch (error) {
    throw new ReplayError('files', `stagetrace: replay: cannot write ${state.journal.path}: ${oneLine(error)}; nothing was sent.`, result, {
      cause: error,
    });
  }
  return state;
}

/** Records a delivered batch; if that fails, replay stops: sending more would make a later replay send them twice. */
function record(j: Journal, write: () => void, what: string, url: string, result: ReplayResult): void {
  write();
  if (j.failure === undefined) return;
  throw new ReplayError(
    'files',
    `stagetrace: replay: ${what} reached ${endpointForFiles(url)} but could not be recorded in ${j.journal.path} (${oneLine(j.failure)}); a later replay would send them again.`,
    result,
    { cause: j.failure },
  );
}

/** One export, its callback as a promise; a throwing exporter counts as a failed export. */
function exportOnce<T>(exporter: BatchSend<T>['exporter'], items: T[]): Promise<ExportResult> {
  return new Promise((resolve) => {
    try {
      exporter.export(items, resolve);
    } catch (error) {
      resolve({ code: EXPORT_FAILED, error: error instanceof Error ? error : new Error(String(error)) });
    }
  });
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return oneLine(code === undefined ? error.message : `${code}: ${error.message}`);
  }
  return oneLine(error);
}

/** A message on one line, without the `stagetrace: ` its source may have put in front. */
function oneLine(value: unknown): string {
  const text = value instanceof Error ? value.message : String(value);
  const line = text
    .split('\n')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .join(' ');
  return line.startsWith('stagetrace: ') ? line.slice('stagetrace: '.length) : line;
}
