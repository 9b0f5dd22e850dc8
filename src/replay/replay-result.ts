export interface ReplayOptions {
  /** Only this session (default: every session in the folder). */
  session?: string;
  /**
   * Where to send: a base URL to which `/v1/traces` (and `/v1/logs` for log records) is appended, like
   * `OTEL_EXPORTER_OTLP_ENDPOINT`. Default: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (`…_LOGS_ENDPOINT`)
   * or `OTEL_EXPORTER_OTLP_ENDPOINT` when set, else the URL the run itself sent to —
   * and then without the `OTEL_EXPORTER_OTLP_*HEADERS`: an endpoint read from a file
   * never gets the credentials (see {@link ReplaySessionResult.headersWithheld}).
   */
  endpoint?: string;
  /**
   * Per request, the exporter's retries included. Default: `OTEL_EXPORTER_OTLP_TRACES_TIMEOUT` or
   * `OTEL_EXPORTER_OTLP_TIMEOUT`, else 4000. Headers, protocol and compression come from the
   * `OTEL_EXPORTER_OTLP_*` variables, as for the run.
   */
  timeoutMillis?: number;
  /** Spans (or log records) per request. Default 512. */
  batchSize?: number;
}

/** What replay did for one session. */
export interface ReplaySessionResult {
  sessionId: string;
  /** Where its spans went; undefined when nothing was to be sent. */
  endpoint: string | undefined;
  /** Spans sent now (and recorded as delivered). */
  sent: number;
  /** Of those, spans the run never ended (its process was killed), sent as `interrupted`. */
  closedByReplay: number;
  /** Spans the collector had acknowledged before: not sent again. */
  alreadyDelivered: number;
  /** Spans the run's sampler left out of export: not sent. */
  notSampled: number;
  /** Spans written by a stagetrace older than audit schema 2: they lack what a rebuild needs. */
  notReplayable: number;
  /** Spans with ids or times a collector cannot take (an edited or damaged file): not sent, so they cannot block the others. */
  invalid: number;
  /** Why, for the first few of them. */
  invalidReasons: string[];
  /**
   * Spans the collector rejected in a `partial_success` answer: their batch is not recorded
   * as delivered (OTLP does not say which spans were rejected), so the next replay sends it again.
   */
  rejected: number;
  /** The collector's reason for the latest rejection, as it wrote it (untrusted text). */
  rejectedReason?: string;
  /**
   * True when the endpoint came from otlp_delivery.jsonl (no `endpoint` option nor endpoint variable)
   * and header variables were set: they were not sent to it, as anyone who can edit the file chooses it.
   */
  headersWithheld?: true;
  /** Why the session was not replayed at all, if it was not. */
  skipped?: 'no-otlp' | 'running';
  /** Where its log records went; undefined when no message was to be sent. */
  logsEndpoint: string | undefined;
  /**
   * Messages sent now as log records (and recorded as delivered): those of a session that forwarded
   * its messages as logs whose records the collector never acknowledged. None for a run with logs off.
   */
  messagesSent: number;
  /** Messages whose log records the collector had acknowledged before: not sent again. */
  messagesAlreadyDelivered: number;
  /** Message lines written before messages had a number (`message_seq`): not sent. */
  messagesNotReplayable: number;
  /** Message lines with a level, time or ids a live run cannot have made, or a number seen twice: not sent. */
  messagesInvalid: number;
  /** Why, for the first few of them. */
  messagesInvalidReasons: string[];
  /** Messages whose log records the collector rejected in a `partial_success`: not recorded, the next replay sends them again. */
  messagesRejected: number;
}

export interface ReplayResult {
  sessions: ReplaySessionResult[];
  /** Spans sent, all sessions together. */
  sent: number;
  /** Messages sent as log records, all sessions together. */
  messagesSent: number;
}

/** Why a replay stopped; `message` is one line. */
export type ReplayErrorKind = 'files' | 'endpoint';

export class ReplayError extends Error {
  override readonly name = 'ReplayError';
  constructor(
    readonly kind: ReplayErrorKind,
    message: string,
    /** What was sent (and recorded) before it stopped. */
    readonly partial: ReplayResult,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
