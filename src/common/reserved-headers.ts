import type { RecordHeader } from './record-batch.ts';

/**
 * Record headers whose names start with `ferry-` are Ferry's own (DESIGN.md section 1: protocol
 * properties travel as headers with a reserved prefix, so any protocol reads what another wrote).
 * Every reserved name is defined here and nowhere else. Values are UTF-8 text; times are decimal
 * milliseconds since the Unix epoch, durations decimal milliseconds.
 */
export const RESERVED_HEADER_PREFIX = 'ferry-';

export const ReservedHeader = {
  /** Producer: deliver no earlier than this time (ms epoch). The broker holds the record until then. */
  deliverAt: 'ferry-deliver-at',
  /** Producer: deliver this many ms after the broker received the record. */
  delayMs: 'ferry-delay-ms',
  /** Producer: the record expires this many ms after it became visible (its timestamp, or its delivery time). */
  ttlMs: 'ferry-ttl-ms',
  /** Producer: the record expires at this time (ms epoch). */
  expiresAt: 'ferry-expires-at',
  /** Request/reply: topic the reply goes to. */
  replyTo: 'ferry-reply-to',
  /** Request/reply: opaque id copied from the request into its reply. */
  correlationId: 'ferry-correlation-id',
  /** Dead letters: why the record was dead-lettered (`max_deliveries`, `expired`, `backlog_overflow`). */
  deadLetterReason: 'ferry-dlq-reason',
  /** Dead letters: where the record came from. */
  originalTopic: 'ferry-original-topic',
  originalPartition: 'ferry-original-partition',
  originalOffset: 'ferry-original-offset',
  /** Dead letters: the subscription that gave up on the record. */
  subscription: 'ferry-subscription',
  /** Dead letters: deliveries made before it was dead-lettered. */
  deliveryCount: 'ferry-delivery-count',
  /** Internal to `__scheduled`: where a scheduled record goes when due. */
  targetTopic: 'ferry-target-topic',
  targetPartition: 'ferry-target-partition',
  /** A dead letter moved back to its topic: `<topic>/<partition>/<offset>` of the original. */
  replayOf: 'ferry-replay-of',
} as const;

export type ReservedHeaderName = (typeof ReservedHeader)[keyof typeof ReservedHeader];

/** Bytes every scheduling header starts with: a produce batch without them is never decoded. */
export const SCHEDULE_HEADER_MARKER: Buffer = Buffer.from('ferry-del');

export function isReservedHeader(key: string): boolean {
  return key.startsWith(RESERVED_HEADER_PREFIX);
}

/** The value of the last header named `key` as text, or null. */
export function headerText(headers: readonly RecordHeader[], key: string): string | null {
  for (let i = headers.length - 1; i >= 0; i--) {
    const header = headers[i]!;
    if (header.key === key) return header.value === null ? null : header.value.toString('utf8');
  }
  return null;
}

const DECIMAL = /^-?\d{1,16}$/;

/** A decimal integer header (ms or ms epoch), or null when absent or not a safe integer. */
export function headerInteger(headers: readonly RecordHeader[], key: string): number | null {
  const text = headerText(headers, key);
  if (text === null || !DECIMAL.test(text)) return null;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : null;
}

export function textHeader(key: string, value: string | number): RecordHeader {
  return { key, value: Buffer.from(String(value), 'utf8') };
}

/** Headers without the given names (e.g. routing headers the consumer should not see). */
export function withoutHeaders(headers: readonly RecordHeader[], keys: ReadonlySet<string>): RecordHeader[] {
  return headers.filter((header) => !keys.has(header.key));
}

/**
 * When a record asks to be delivered (ms epoch), from `ferry-deliver-at` or, failing that,
 * `ferry-delay-ms` counted from `receivedAtMs`; null when it asks for neither.
 */
export function deliveryTimeOf(headers: readonly RecordHeader[], receivedAtMs: number): number | null {
  const at = headerInteger(headers, ReservedHeader.deliverAt);
  if (at !== null) return at;
  const delayMs = headerInteger(headers, ReservedHeader.delayMs);
  return delayMs === null ? null : receivedAtMs + Math.max(0, delayMs);
}

/**
 * When a record expires (ms epoch) by its own headers: `ferry-expires-at`, or `ferry-ttl-ms` counted
 * from `visibleAtMs`; null when it carries neither.
 */
export function expiryTimeOf(headers: readonly RecordHeader[], visibleAtMs: number): number | null {
  const at = headerInteger(headers, ReservedHeader.expiresAt);
  if (at !== null) return at;
  const ttlMs = headerInteger(headers, ReservedHeader.ttlMs);
  return ttlMs === null ? null : visibleAtMs + ttlMs;
}
