import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { ResolvedConfig } from '../config/options.js';
import type { LogDropReason } from '../export/forward-log-processor.js';
import type { ForwardDropReason, ForwardListener } from '../export/forward-span-processor.js';
import { PartialRejection } from '../export/partial-success.js';
import { ATTR_MESSAGE_SEQ } from '../model/attribute-names.js';
import { plural } from '../model/plural.js';
import { BYTES_PER_MB } from '../model/units.js';
import { type BuiltSession, INSTRUMENTATION_SCOPE } from './session-factory.js';

/** What the session record is written from: the first span, or the first log record, whichever comes first. */
type Emitted = Pick<ReadableSpan, 'resource' | 'instrumentationScope'>;

/** Most characters of a collector's own message shown: it is untrusted text. */
const MAX_COLLECTOR_MESSAGE_CHARS = 300;

/**
 * What happens to the spans the forward sends, told to the session: drops
 * and failed exports are counted (session summary, the dropped-spans
 * metric) and said once each on stderr with what to do; deliveries of
 * stagetrace's own spans go to otlp_delivery.jsonl, and so does what the
 * forward gave up when it shuts down. The log forward is told here too:
 * the messages whose log records the collector acknowledged are journaled
 * by their `message_seq`, and drops are said once with the replay command.
 */
export class DeliveryRecorder implements ForwardListener {
  readonly #bundle: BuiltSession;
  readonly #config: ResolvedConfig;
  readonly #endpoint: string;
  /** The logs URL when messages are forwarded as log records. */
  readonly #logsEndpoint: string | undefined;
  #sessionWritten = false;
  /** A record of stagetrace's own reached the log forward. */
  #logsSeen = false;
  #delivered = 0;
  readonly #undelivered: Partial<Record<ForwardDropReason, number>> = {};
  #deliveredLogs = 0;
  readonly #undeliveredLogs: Partial<Record<LogDropReason, number>> = {};

  constructor(bundle: BuiltSession, config: ResolvedConfig) {
    this.#bundle = bundle;
    this.#config = config;
    this.#endpoint = config.otlp?.tracesUrl ?? '';
    this.#logsEndpoint = config.logs ? config.otlp?.logsUrl : undefined;
  }

  /** The command that sends what the collector did not get, or why there is none. */
  #replayHint(): string {
    const dir = this.#bundle.audit?.dir;
    if (dir === undefined) return 'there are no audit files to replay them from (logDir is off)';
    return `they are in the audit files: \`stagetrace replay ${quoteArg(dir)} --session ${this.#config.sessionId}\` sends them once the collector is back`;
  }

  started(span: ReadableSpan): void {
    if (this.#sessionWritten || span.instrumentationScope.name !== INSTRUMENTATION_SCOPE) return;
    this.#sessionWritten = true;
    this.#writeSession(span, this.#logsSeen);
  }

  /**
   * Who the session's spans and log records are from, before replay needs
   * it. `logs_endpoint` only once a record reached the log forward: with a
   * user's SDK that was not given the forward, messages go elsewhere and
   * replay must not send them.
   */
  #writeSession(first: Emitted, withLogs: boolean): void {
    const journal = this.#bundle.delivery;
    if (journal === undefined) return;
    const { resource, instrumentationScope } = first;
    const write = () =>
      journal.session({
        sessionId: this.#config.sessionId,
        endpoint: this.#endpoint,
        resource: resource.attributes,
        scopeName: instrumentationScope.name,
        scopeVersion: instrumentationScope.version,
        logsEndpoint: withLogs ? this.#logsEndpoint : undefined,
      });
    // Host and process detectors may still be settling (host.id is read asynchronously).
    if (resource.asyncAttributesPending && resource.waitForAsyncAttributes) {
      void resource.waitForAsyncAttributes().then(write, write);
    } else {
      write();
    }
  }

  delivered(spans: readonly ReadableSpan[]): void {
    const ids: string[] = [];
    for (const span of spans) if (span.instrumentationScope.name === INSTRUMENTATION_SCOPE) ids.push(span.spanContext().spanId);
    this.#delivered += ids.length;
    try {
      this.#bundle.delivery?.delivered(this.#config.sessionId, ids, 'forward', this.#endpoint);
    } catch (error) {
      this.#bundle.problems.internalError('recording a delivery', error);
    }
  }

  retrying(count: number, retryInMillis: number, error: unknown): void {
    const { problems } = this.#bundle;
    problems.count('otlpExportErrors');
    const otlp = this.#config.otlp;
    const bound = otlp ? ` (up to ${otlp.maxQueueSpans} spans, ${formatMiB(otlp.maxQueueBytes)})` : '';
    problems.sayOnce(
      'otlp-retry',
      `the collector at ${origin(this.#endpoint)} did not take ${plural(count, 'span')} (${describeError(error)}); they wait in the forward queue${bound} and are sent again in ${(retryInMillis / 1000).toFixed(1)} s, then with growing waits while it fails. Further failures are counted in the session summary.`,
    );
  }

  dropped(count: number, reason: ForwardDropReason, error?: unknown): void {
    const { problems, metrics } = this.#bundle;
    this.#undelivered[reason] = (this.#undelivered[reason] ?? 0) + count;
    if (reason === 'rejected') problems.count('otlpExportErrors');
    try {
      metrics.droppedSpans(count, reason);
    } catch {
      // Counting must not fail the export path.
    }
    const otlp = this.#config.otlp;
    if (error instanceof PartialRejection) {
      problems.add('otlpDroppedSpans', 'otlp-drop:partial', this.#partialText(error), count);
      return;
    }
    let text: string;
    switch (reason) {
      case 'queue_full':
        text = `the forward queue is full (${otlp?.maxQueueSpans} spans or ${formatMiB(otlp?.maxQueueBytes ?? 0)}; otlp.maxQueueSpans, otlp.maxQueueBytes) while the collector at ${origin(this.#endpoint)} is away: newer spans are not forwarded, and ${this.#replayHint()}.`;
        break;
      case 'rejected':
        text = `the collector at ${origin(this.#endpoint)} refused spans (${describeError(error)}) and would refuse them again, so they are not retried; ${this.#replayHint()}.`;
        break;
      case 'shutdown':
        text = `${plural(count, 'span')} could not be delivered to ${origin(this.#endpoint)} within shutdownTimeoutMillis (${this.#config.shutdownTimeoutMillis} ms); ${this.#replayHint()}.`;
        break;
    }
    problems.add('otlpDroppedSpans', `otlp-drop:${reason}`, text, count);
  }

  /** What a partial success means, with the collector's reason redacted, on one line and bounded. */
  #partialText(rejection: PartialRejection): string {
    const said = this.#bundle.session.redactor.scrubText(rejection.errorMessage, MAX_COLLECTOR_MESSAGE_CHARS);
    const reason = said === '' ? 'no reason given' : `its reason: ${JSON.stringify(said)}`;
    return `the collector at ${origin(this.#endpoint)} answered 200 but rejected ${rejection.rejectedSpans} of a batch of ${rejection.batchSpans} spans (partial_success; ${reason}). OTLP does not say which, so none of the batch is recorded as delivered and it is not retried now; ${this.#replayHint()}. Further rejections are counted in the session summary.`;
  }

  /** A log record reached the log forward: the session record must say that its messages go there. */
  logEmitted(record: ReadableLogRecord): void {
    if (this.#logsSeen || record.instrumentationScope.name !== INSTRUMENTATION_SCOPE) return;
    this.#logsSeen = true;
    // A session record written at the first span without logs gets a second one that names them; replay reads both.
    this.#sessionWritten = true;
    try {
      this.#writeSession(record, true);
    } catch (error) {
      this.#bundle.problems.internalError('recording a session', error);
    }
  }

  /** The collector acknowledged these log records: stagetrace's own are journaled by their message number. */
  logsDelivered(records: readonly ReadableLogRecord[]): void {
    const seqs: number[] = [];
    for (const record of records) {
      if (record.instrumentationScope.name !== INSTRUMENTATION_SCOPE) continue;
      const seq = record.attributes[ATTR_MESSAGE_SEQ];
      if (typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 1) seqs.push(seq);
    }
    this.#deliveredLogs += seqs.length;
    try {
      this.#bundle.delivery?.logsDelivered(this.#config.sessionId, seqs, 'forward', this.#logsEndpoint ?? '');
    } catch (error) {
      this.#bundle.problems.internalError('recording a delivery', error);
    }
  }

  /** Log records given up: counted for the summary and the end record, said once per reason with how to send them later. */
  logsDropped(count: number, reason: LogDropReason): void {
    this.#undeliveredLogs[reason] = (this.#undeliveredLogs[reason] ?? 0) + count;
    this.#bundle.problems.add(
      'otlpDroppedLogRecords',
      `logs-dropped:${reason}`,
      `${count === 1 ? 'a log record was' : `${count} log records were`} not sent to the collector (${LOG_DROP_TEXT[reason]}); ${this.#replayHint()}. Further drops are counted in the session summary.`,
      count,
    );
  }

  /** Writes what the forward delivered and gave up, once it has shut down. */
  finish(): void {
    try {
      const logs = this.#logsEndpoint === undefined ? undefined : { delivered: this.#deliveredLogs, undelivered: this.#undeliveredLogs };
      this.#bundle.delivery?.end(
        this.#config.sessionId,
        this.#delivered,
        this.#undelivered,
        this.#bundle.problems.counts.otlpExportErrors,
        logs,
      );
    } catch (error) {
      this.#bundle.problems.internalError('recording the end of delivery', error);
    }
  }
}

const LOG_DROP_TEXT: Readonly<Record<LogDropReason, string>> = {
  queue_full: 'the queue was full: the collector was away longer than otlp.maxQueueSpans records hold',
  rejected: 'the collector refused them',
  shutdown: 'shutdownTimeoutMillis ran out first',
};

function formatMiB(bytes: number): string {
  return bytes >= BYTES_PER_MB ? `${Number((bytes / BYTES_PER_MB).toFixed(1))} MiB` : `${Math.round(bytes / 1024)} KiB`;
}

function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return code === undefined ? error.message : `${code}: ${error.message}`;
  }
  return String(error);
}

/** A path as a shell argument: quoted when it holds anything but safe characters. */
function quoteArg(path: string): string {
  for (let i = 0; i < path.length; i++) {
    const c = path[i] as string;
    if (!/[A-Za-z0-9_./:@%+=,-]/.test(c)) return `'${path.replaceAll("'", "'\\''")}'`;
  }
  return path;
}
