import type { OptionReader } from './option-reader.js';
import type { ResolvedAlerts } from './options.js';

/** Webhook alerts: on when a webhook URL is given. Their timings are checked either way. */
export function resolveAlerts(read: OptionReader): ResolvedAlerts | undefined {
  const minIntervalMs = read.value('alerts.minIntervalMs');
  const timeoutMs = read.value('alerts.timeoutMs');
  const webhookUrl = read.given('alerts.webhookUrl')?.value;
  return webhookUrl === undefined ? undefined : { webhookUrl, minIntervalMs, timeoutMs };
}
