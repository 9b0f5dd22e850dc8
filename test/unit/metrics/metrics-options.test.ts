import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/resolve-config.js';
import { redactedWebhook } from '../../../src/sinks/webhook-alerts.js';

describe('alert options', () => {
  it('are off without a webhook URL', () => {
    expect(resolveConfig({}, {}).alerts).toBeUndefined();
  });

  it('default to one alert per kind per minute and a 5 s timeout', () => {
    const url = 'https://hooks.example.com/services/T0/B0/secret';
    expect(resolveConfig({ alerts: { webhookUrl: url } }, {}).alerts).toEqual({ webhookUrl: url, minIntervalMs: 60_000, timeoutMs: 5000 });
    expect(resolveConfig({}, { STAGETRACE_ALERTS_WEBHOOK_URL: url, STAGETRACE_ALERTS_MIN_INTERVAL_MS: '1000' }).alerts).toEqual({
      webhookUrl: url,
      minIntervalMs: 1000,
      timeoutMs: 5000,
    });
  });

  it('reject a bad URL without echoing it, since webhook URLs carry a secret', () => {
    const bad = 'ftp://hooks.example.com/services/SECRET123';
    expect(() => resolveConfig({ alerts: { webhookUrl: bad } }, {})).toThrow(/alerts\.webhookUrl must be an absolute http/);
    let message = '';
    try {
      resolveConfig({}, { STAGETRACE_ALERTS_WEBHOOK_URL: bad });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('STAGETRACE_ALERTS_WEBHOOK_URL');
    expect(message).not.toContain('SECRET123');
  });

  it('print a webhook as its origin only', () => {
    expect(redactedWebhook('https://hooks.slack.com/services/T0/B0/abc?x=1')).toBe('https://hooks.slack.com');
  });
});

describe('runtime metric groups', () => {
  it('include nodejs.runtime by default and can be chosen alone', () => {
    expect(resolveConfig({}, {}).hostMetrics).toContain('nodejs.runtime');
    expect(resolveConfig({ hostMetrics: ['nodejs.runtime'] }, {}).hostMetrics).toEqual(['nodejs.runtime']);
    expect(() => resolveConfig({ hostMetrics: ['nodejs.gc'] }, {})).toThrow(/hostMetrics must be true, false, or a list of/);
  });
});
