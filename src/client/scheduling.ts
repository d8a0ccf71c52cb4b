import { ErrorCode, FerryError } from '../common/errors.ts';
import { ReservedHeader } from '../common/reserved-headers.ts';
import type { ProducerRecord } from './records.ts';

/** True when the record asks for a later delivery (it cannot travel in an idempotent batch:
 *  the broker splits such batches, which would break their sequence numbers). */
export function isDelayed(record: ProducerRecord): boolean {
  return record.delayMs !== undefined || record.deliverAt !== undefined;
}

export function hasQueueFields(record: ProducerRecord): boolean {
  return record.delayMs !== undefined || record.deliverAt !== undefined || record.ttlMs !== undefined;
}

function nonNegativeInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new FerryError(ErrorCode.INVALID_RECORD, `${name} must be a non-negative integer of ms, got ${value}`, { [name]: value });
  }
  return value;
}

/**
 * The record with `delayMs` / `deliverAt` / `ttlMs` turned into the reserved `ferry-` headers
 * (src/common/reserved-headers.ts) the broker's scheduler and TTL read. A new object: the
 * caller's record is not changed.
 */
export function withQueueHeaders(record: ProducerRecord): ProducerRecord {
  const headers = { ...record.headers };
  if (record.deliverAt !== undefined) {
    const at = record.deliverAt instanceof Date ? record.deliverAt.getTime() : record.deliverAt;
    headers[ReservedHeader.deliverAt] = String(nonNegativeInteger(at, 'deliverAt'));
  } else if (record.delayMs !== undefined) {
    headers[ReservedHeader.delayMs] = String(nonNegativeInteger(record.delayMs, 'delayMs'));
  }
  if (record.ttlMs !== undefined) headers[ReservedHeader.ttlMs] = String(nonNegativeInteger(record.ttlMs, 'ttlMs'));
  const { delayMs: _delay, deliverAt: _at, ttlMs: _ttl, ...rest } = record;
  return { ...rest, headers };
}
