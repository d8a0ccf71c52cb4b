import type { WebhookNotifierConfig } from '../rule-config.ts';
import { alertmanagerPayload } from './payload.ts';
import { type AlertNotification, backoffFrom, DEFAULT_NOTIFIER_TIMEOUT_MS, type Notifier, withRetries } from './types.ts';

/** A 4xx other than 408/429 means the receiver rejects this body: trying again cannot help. */
class PermanentFailure extends Error {}

/** POSTs the notification as JSON (Ferry's shape, or Alertmanager's with `format: alertmanager`). */
export function webhookNotifier(name: string, config: WebhookNotifierConfig): Notifier {
  const backoff = backoffFrom(config);
  const timeoutMs = config.timeoutMs ?? DEFAULT_NOTIFIER_TIMEOUT_MS;
  return {
    name,
    async send(notification: AlertNotification) {
      const body = JSON.stringify(config.format === 'alertmanager' ? alertmanagerPayload(notification) : notification);
      await withRetries(
        backoff,
        async () => {
          const response = await fetch(config.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'user-agent': 'ferry-alerts', ...config.headers },
            body,
            signal: AbortSignal.timeout(timeoutMs),
          });
          // The body is not needed; reading it frees the connection for reuse.
          await response.arrayBuffer().catch(() => {});
          if (response.ok) return;
          const message = `webhook ${name} answered ${response.status}`;
          if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
            throw new PermanentFailure(message);
          }
          throw new Error(message);
        },
        (error) => !(error instanceof PermanentFailure),
      );
    },
  };
}
