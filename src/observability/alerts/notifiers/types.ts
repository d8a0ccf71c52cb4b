import type { Severity } from '../rule-config.ts';

/** What a notifier is handed: the alerts of one rule that changed (or are due again) in one evaluation. */
export interface AlertNotification {
  /** Name of the notifier in `alerts.notifiers`. */
  receiver: string;
  rule: string;
  severity: Severity;
  /** `firing` if any alert in the list fires, else `resolved`. */
  status: 'firing' | 'resolved';
  alerts: NotifiedAlert[];
}

export interface NotifiedAlert {
  /** Stable id of the instance: a hash of the rule name and labels. */
  fingerprint: string;
  rule: string;
  status: 'firing' | 'resolved';
  severity: Severity;
  labels: Record<string, string>;
  annotations: { summary: string; description: string };
  value: number;
  /** When the condition first held (ISO). */
  activeAt: string;
  firedAt: string | null;
  resolvedAt: string | null;
}

export interface Notifier {
  readonly name: string;
  /** Resolves once delivered; rejects after its own retries are spent. */
  send(notification: AlertNotification): Promise<void>;
}

export const DEFAULT_NOTIFIER_TIMEOUT_MS = 10_000;

export interface Backoff {
  maxRetries: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
}

export function backoffFrom(config: { maxRetries?: number; initialBackoffMs?: number; maxBackoffMs?: number }): Backoff {
  return {
    maxRetries: config.maxRetries ?? 5,
    initialBackoffMs: config.initialBackoffMs ?? 500,
    maxBackoffMs: config.maxBackoffMs ?? 30_000,
  };
}

/**
 * Runs `attempt` until it succeeds, a non-retriable error, or the retries are spent, sleeping
 * initialBackoffMs * 2^n (capped) between tries: a receiver that is down for a minute gets a few
 * tries, not a storm. `isRetriable` decides per error.
 */
export async function withRetries(backoff: Backoff, attempt: () => Promise<void>, isRetriable: (error: unknown) => boolean): Promise<void> {
  for (let retry = 0; ; retry++) {
    try {
      return await attempt();
    } catch (error) {
      if (retry >= backoff.maxRetries || !isRetriable(error)) throw error;
      const delayMs = Math.min(backoff.maxBackoffMs, backoff.initialBackoffMs * 2 ** retry);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
