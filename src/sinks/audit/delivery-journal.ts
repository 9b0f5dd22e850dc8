import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { Attributes } from '@opentelemetry/api';
import {
  AUDIT_SCHEMA_VERSION,
  DELIVERY_LOG_FILE,
  type DeliveredRecord,
  type DeliveryEndRecord,
  type DeliverySessionRecord,
  type LogsDeliveredRecord,
  MAX_SEQS_PER_LINE,
} from '../../model/audit-schema.js';
import { epochNowMs } from '../../model/clock.js';
import { endpointForFiles } from '../../model/endpoint-text.js';
import { isoTimestamp } from '../../model/json-text.js';
import { AuditFile } from './audit-file.js';

export interface DeliveryJournalOptions {
  dir: string;
  maxFileBytes: number;
  maxFiles: number;
  /** Reports a failed write (the line stays queued and is retried at the next write). */
  onWriteError: (file: string, error: unknown) => void;
}

/** Who the spans are from, as {@link DeliveryJournal.session} records it. */
export interface DeliverySessionFacts {
  sessionId: string;
  endpoint: string;
  resource: Attributes;
  scopeName: string;
  scopeVersion: string | undefined;
  /** The logs URL, when the session forwards its messages as log records too. */
  logsEndpoint?: string | undefined;
}

/** What a log forward delivered and gave up, for the end record. */
export interface LogDeliveryTotals {
  delivered: number;
  undelivered: Readonly<Record<string, number>>;
}

/**
 * `otlp_delivery.jsonl`: which of stagetrace's spans the collector
 * acknowledged, one line per batch, so that `stagetrace replay` can send
 * exactly the others later. Also the resource the spans were sent with, and
 * at the end what the forward gave up. The same for the log records of a
 * session that forwards its messages as logs, named by `message_seq`.
 *
 * Each line is written through to the OS before the call returns: a batch
 * the collector took is on disk before anything else happens, so a process
 * killed right after cannot make replay send it twice (except in the instant
 * between the collector's answer and this write).
 */
export class DeliveryJournal {
  readonly path: string;
  readonly #file: AuditFile;

  constructor(options: DeliveryJournalOptions) {
    this.path = join(resolve(options.dir), DELIVERY_LOG_FILE);
    this.#file = new AuditFile(this.path, {
      maxBytes: options.maxFileBytes,
      maxFiles: options.maxFiles,
      sync: true,
      onError: (error) => options.onWriteError(DELIVERY_LOG_FILE, error),
    });
  }

  /** Opens (creating with mode 0640) the file in an existing folder. Throws on failure. */
  open(): void {
    this.#file.open();
  }

  /** Who the spans of a session are from: written once per session, before its first delivery. */
  session(facts: DeliverySessionFacts): void {
    const record: DeliverySessionRecord = {
      schema_version: AUDIT_SCHEMA_VERSION,
      record_type: 'session',
      timestamp: isoTimestamp(epochNowMs()),
      session_id: facts.sessionId,
      pid: process.pid,
      host_name: hostname(),
      endpoint: endpointForFiles(facts.endpoint),
      resource: { ...facts.resource },
      scope_name: facts.scopeName,
      scope_version: facts.scopeVersion ?? null,
      ...(facts.logsEndpoint !== undefined && { logs_endpoint: endpointForFiles(facts.logsEndpoint) }),
    };
    this.#write(record);
  }

  /** The collector acknowledged these spans of `sessionId`. */
  delivered(sessionId: string, spanIds: readonly string[], via: 'forward' | 'replay', endpoint: string): void {
    if (spanIds.length === 0) return;
    const record: DeliveredRecord = {
      schema_version: AUDIT_SCHEMA_VERSION,
      record_type: 'delivered',
      timestamp: isoTimestamp(epochNowMs()),
      session_id: sessionId,
      via,
      endpoint: endpointForFiles(endpoint),
      span_ids: [...spanIds],
    };
    this.#write(record);
  }

  /** The collector acknowledged the log records of these messages of `sessionId` (their `message_seq`). */
  logsDelivered(sessionId: string, seqs: readonly number[], via: 'forward' | 'replay', endpoint: string): void {
    for (let i = 0; i < seqs.length; i += MAX_SEQS_PER_LINE) {
      const record: LogsDeliveredRecord = {
        schema_version: AUDIT_SCHEMA_VERSION,
        record_type: 'logs_delivered',
        timestamp: isoTimestamp(epochNowMs()),
        session_id: sessionId,
        via,
        endpoint: endpointForFiles(endpoint),
        message_seqs: seqs.slice(i, i + MAX_SEQS_PER_LINE),
      };
      this.#write(record);
    }
  }

  /** The forward of `sessionId` shut down. */
  end(
    sessionId: string,
    deliveredSpans: number,
    undelivered: Readonly<Record<string, number>>,
    exportErrors = 0,
    logs?: LogDeliveryTotals,
  ): void {
    const record: DeliveryEndRecord = {
      schema_version: AUDIT_SCHEMA_VERSION,
      record_type: 'session_end',
      timestamp: isoTimestamp(epochNowMs()),
      session_id: sessionId,
      delivered_spans: deliveredSpans,
      undelivered_spans: { ...undelivered },
      export_errors: exportErrors,
      ...(logs !== undefined && { delivered_logs: logs.delivered, undelivered_logs: { ...logs.undelivered } }),
    };
    this.#write(record);
  }

  #write(record: object): void {
    let line: string;
    try {
      line = `${JSON.stringify(record)}\n`;
    } catch {
      return; // a resource attribute JSON cannot hold; nothing sensible to write
    }
    this.#file.append(line);
  }

  /** Idempotent. */
  close(): void {
    this.#file.close();
  }
}
