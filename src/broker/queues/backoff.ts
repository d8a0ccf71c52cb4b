import type { BackoffOptions } from './types.ts';

export type Backoff = Required<BackoffOptions>;

/**
 * Delay before redelivery number `deliveryCount + 1`: min * factor^(deliveryCount - 1), capped
 * at max, then reduced by up to `jitter` of itself at random so that records that failed
 * together do not all come back in the same instant.
 */
export function redeliveryDelayMs(backoff: Backoff, deliveryCount: number, random: () => number = Math.random): number {
  const exponent = Math.max(0, deliveryCount - 1);
  const raw = backoff.minMs * backoff.factor ** Math.min(exponent, 64);
  const capped = Math.min(backoff.maxMs, raw);
  return Math.max(0, Math.round(capped * (1 - backoff.jitter * random())));
}
