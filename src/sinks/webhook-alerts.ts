import type { Attributes, Counter } from '@opentelemetry/api';
import type { ResolvedAlerts } from '../config/options.js';
import type { MeterBinding } from '../metrics/meter-binding.js';
import type { RecordSink } from '../model/record-sink.js';
import type { MessageRecord, ScopeEndRecord } from '../model/records.js';

export const METRIC_ALERTS = 'stagetrace.alerts';
export const ATTR_ALERT_KIND = 'stagetrace.alert.kind';
export const ATTR_ALERT_OUTCOME = 'stagetrace.alert.outcome';

/** Alert kinds; each is rate-limited on its own. */
export type AlertKind = 'memory.warning' | 'memory.critical' | 'month.failure' | 'month.interrupted';
export type AlertOutcome = 'sent' | 'failed' | 'suppressed';

/** Slack cuts long messages anyway; keep the request small. */
const MAX_TEXT = 3000;

/** What the alerter needs from the session. */
export interface AlertHost {
  readonly sessionId: string;
  readonly serviceName: string;
  readonly meterBinding: MeterBinding;
  /** Counts a failed post and says the first one (see TelemetryProblems). */
  failed(key: string, text: string): void;
}

/**
 * The webhook's origin only. Slack-style webhook URLs carry their secret in
 * the path, so nothing else of the URL is ever printed.
 */
export function redactedWebhook(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid URL)';
  }
}

/**
 * Posts Slack-compatible `{ "text": … }` alerts to a webhook for memory
 * threshold crossings and failed or interrupted months.
 *
 * Never blocks the pipeline: a post is fire-and-forget with a timeout, and
 * only flush and shutdown wait for posts in flight (bounded by that timeout).
 * Each kind is sent at most once per `minIntervalMs`; the next one sent says
 * how many were held back. The first failure is logged once as a WARNING,
 * later ones are only counted in `stagetrace.alerts`.
 */
export class WebhookAlerts implements RecordSink {
  readonly #url: URL;
  readonly #origin: string;
  readonly #config: ResolvedAlerts;
  readonly #host: AlertHost;
  readonly #lastSentAt = new Map<AlertKind, number>();
  readonly #suppressedSince = new Map<AlertKind, number>();
  readonly #pending = new Set<Promise<void>>();
  #counter: Counter | undefined;
  readonly #outcomeAttrs = new Map<string, Attributes>();

  constructor(config: ResolvedAlerts, host: AlertHost) {
    this.#config = config;
    this.#host = host;
    this.#url = new URL(config.webhookUrl);
    this.#origin = redactedWebhook(config.webhookUrl);
    host.meterBinding.onBind((meter) => {
      this.#counter = meter.createCounter(METRIC_ALERTS, {
        unit: '{alert}',
        description: 'Webhook alerts by kind and outcome (sent, failed, suppressed by the rate limit).',
      });
    });
  }

  /** Sends `text` unless this kind was sent less than `minIntervalMs` ago. Returns whether a post started. */
  alert(kind: AlertKind, text: string): boolean {
    const now = Date.now();
    const last = this.#lastSentAt.get(kind);
    if (last !== undefined && now - last < this.#config.minIntervalMs) {
      this.#suppressedSince.set(kind, (this.#suppressedSince.get(kind) ?? 0) + 1);
      this.count(kind, 'suppressed');
      return false;
    }
    this.#lastSentAt.set(kind, now);
    const held = this.#suppressedSince.get(kind) ?? 0;
    this.#suppressedSince.delete(kind);
    const suffix = held > 0 ? ` (${held} more like this held back by the rate limit)` : '';
    const full = `[${this.#host.serviceName}] ${text}${suffix} — session ${this.#host.sessionId}`;
    const body = JSON.stringify({ text: full.length > MAX_TEXT ? `${full.slice(0, MAX_TEXT - 1)}…` : full });
    const post = this.post(body).then(
      () => this.count(kind, 'sent'),
      (err: unknown) => this.failed(kind, err),
    );
    this.#pending.add(post);
    void post.finally(() => this.#pending.delete(post));
    return true;
  }

  onStart(): void {}

  /** Failed and interrupted months become alerts. */
  onEnd(r: ScopeEndRecord): void {
    if (r.scope.kind !== 'month' || r.outcome === 'success') return;
    const what = r.outcome === 'failure' ? 'failed' : 'was interrupted';
    const why = r.reason ?? (r.error ? `${r.error.type}: ${r.error.message}` : undefined);
    this.alert(
      r.outcome === 'failure' ? 'month.failure' : 'month.interrupted',
      `Month ${r.scope.month} ${what} after ${r.durationS.toFixed(1)} s${why ? `: ${why}` : ''}`,
    );
  }

  /** Upward memory threshold crossings become alerts. */
  onMessage(r: MessageRecord): void {
    const c = r.memory;
    if (c === undefined || c.direction !== 'up') return;
    const scope = r.scope;
    const where = scope
      ? ` during ${scope.kind === 'month' ? `month ${scope.month}` : `stage ${scope.name}${scope.month ? ` of ${scope.month}` : ''}`}`
      : '';
    this.alert(c.level === 'critical' ? 'memory.critical' : 'memory.warning', `${r.message}${where}`);
  }

  /** Waits for posts in flight; each is bounded by the alert timeout. */
  async forceFlush(): Promise<void> {
    await Promise.allSettled([...this.#pending]);
  }

  shutdown(): Promise<void> {
    return this.forceFlush();
  }

  private async post(body: string): Promise<void> {
    // node:http and node:https load with the first alert: most runs send none, and importing stagetrace stays light.
    const { request: send } = this.#url.protocol === 'https:' ? await import('node:https') : await import('node:http');
    return new Promise((resolve, reject) => {
      const req = send(this.#url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        timeout: this.#config.timeoutMs,
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.#config.timeoutMs} ms`)));
      req.on('error', reject);
      req.on('response', (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) res.on('end', () => resolve()).on('error', reject);
        else reject(new Error(`HTTP ${status}`));
      });
      req.end(body);
    });
  }

  private failed(kind: AlertKind, err: unknown): void {
    this.count(kind, 'failed');
    this.#host.failed(
      'alerts:failed',
      `alert webhook ${this.#origin} could not be reached (${this.scrub(err)}); further failures are counted in ${METRIC_ALERTS} and the session summary.`,
    );
  }

  /** An error's message without any part of the URL past its origin. */
  private scrub(err: unknown): string {
    let text = err instanceof Error ? err.message : String(err);
    for (const secret of [this.#url.href, this.#url.pathname + this.#url.search, this.#url.search]) {
      if (secret.length > 1) text = text.split(secret).join('…');
    }
    return text;
  }

  private count(kind: AlertKind, outcome: AlertOutcome): void {
    if (this.#counter === undefined) this.#host.meterBinding.meter();
    if (this.#counter === undefined) return;
    const key = `${kind}:${outcome}`;
    let attrs = this.#outcomeAttrs.get(key);
    if (attrs === undefined) {
      attrs = { [ATTR_ALERT_KIND]: kind, [ATTR_ALERT_OUTCOME]: outcome };
      this.#outcomeAttrs.set(key, attrs);
    }
    this.#counter.add(1, attrs);
  }
}
