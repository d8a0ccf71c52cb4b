/** Record shapes the client's users see. */

/** Keys, values and header values: bytes, or a string sent as UTF-8. */
export type RecordBytes = Buffer | Uint8Array | string;

export type RecordHeaders = Record<string, RecordBytes>;

export interface ProducerRecord {
  topic: string;
  /** Records with the same key go to the same partition (murmur2, as Kafka clients do). */
  key?: RecordBytes | null;
  /** null is a tombstone on compacted topics. */
  value: RecordBytes | null;
  headers?: RecordHeaders;
  /** Overrides the partitioner. */
  partition?: number;
  /** Create time, ms since the epoch. Default: now. */
  timestamp?: number;
  /** Deliver this many ms after the broker receives it (becomes header `ferry-delay-ms`). */
  delayMs?: number;
  /** Deliver no earlier than this time: a Date or ms since the epoch (`ferry-deliver-at`). */
  deliverAt?: Date | number;
  /** Queue consumers no longer get it this many ms after it became visible (`ferry-ttl-ms`). */
  ttlMs?: number;
}

/** A record without its topic: `producer.send({ topic, messages: [...] })`. */
export type ProducerMessage = Omit<ProducerRecord, 'topic'>;

/** Where an acknowledged record was written. */
export interface RecordMetadata {
  topic: string;
  partition: number;
  /** -1 with acks 'none' (no answer). */
  offset: number;
}

/** A record as a consumer receives it. */
export interface ConsumerMessage {
  topic: string;
  partition: number;
  offset: number;
  /** Create time (or log-append time on such topics), ms since the epoch. */
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  /** Header values are views into the fetched bytes; null where the producer sent null. */
  headers: Readonly<Record<string, Buffer | null>>;
}

export function toBuffer(value: RecordBytes): Buffer {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (Buffer.isBuffer(value)) return value;
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** Cheap size estimate used for batching and the buffer bound (strings count UTF-16 units). */
export function estimateRecordBytes(record: ProducerRecord): number {
  let bytes = 24;
  if (record.key != null) bytes += record.key.length;
  if (record.value != null) bytes += record.value.length;
  if (record.headers) for (const name in record.headers) bytes += name.length + record.headers[name]!.length + 4;
  return bytes;
}
