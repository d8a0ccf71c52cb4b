import { ErrorCode, FerryError, toFerryError } from '../../common/errors.ts';
import type { Logger } from '../../common/logger.ts';
import { encodeRecordBatch, type ProducerRecord } from '../../common/record-batch.ts';
import { ReservedHeader, textHeader } from '../../common/reserved-headers.ts';
import type { QueueHost } from './host.ts';
import { readMessagesAt } from './message-reader.ts';
import type { PartitionCursor } from './partition-cursor.ts';
import type { QueueMessage } from './types.ts';

export type DeadLetterReason = 'max_deliveries' | 'expired' | 'backlog_overflow';

interface DeadLetter {
  cursor: PartitionCursor;
  offset: number;
  reason: DeadLetterReason;
  deliveryCount: number;
  message: QueueMessage | null;
}

/** Records per append to the dead-letter topic. */
const MAX_BATCH_RECORDS = 500;
/** Bytes read around each record that must be read back from its log. */
const READ_BYTES = 64 * 1024;
const RETRY_DELAY_MS = 1_000;

export interface DeadLetterWriterOptions {
  host: QueueHost;
  topic: string;
  subscription: string;
  deadLetterTopic: string;
  logger: Logger;
  /** The records are in the dead-letter topic: acknowledge them in the subscription. */
  onWritten(cursor: PartitionCursor, offsets: readonly number[]): void;
}

/**
 * Moves records a subscription gives up on into its dead-letter topic, with headers saying why
 * and from where (docs/queues.md). The topic is created on first use with one partition. The
 * records stay in the cursor's `transit` set (not redelivered, not acked) until the append is
 * durable; then they are acked. A failed append is retried; a crash in between at worst writes a
 * dead letter twice.
 */
export class DeadLetterWriter {
  private readonly options: DeadLetterWriterOptions;
  private queue: DeadLetter[] = [];
  private isWriting = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private isClosed = false;

  constructor(options: DeadLetterWriterOptions) {
    this.options = options;
  }

  get pending(): number {
    return this.queue.length;
  }

  add(cursor: PartitionCursor, offset: number, reason: DeadLetterReason, deliveryCount: number, message: QueueMessage | null): void {
    cursor.transit.add(offset);
    this.queue.push({ cursor, offset, reason, deliveryCount, message });
    if (!this.isWriting && this.retryTimer === null) setImmediate(() => void this.drain());
  }

  close(): void {
    this.isClosed = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private async drain(): Promise<void> {
    if (this.isWriting || this.isClosed) return;
    this.isWriting = true;
    try {
      while (this.queue.length > 0 && !this.isClosed) {
        const batch = this.queue.slice(0, MAX_BATCH_RECORDS);
        try {
          await this.write(batch);
          this.queue.splice(0, batch.length);
        } catch (error) {
          if (this.isClosed) return;
          this.options.logger.error(
            { deadLetterTopic: this.options.deadLetterTopic, records: batch.length, err: toFerryError(error).message },
            'could not write dead letters; retrying',
          );
          this.retryTimer = setTimeout(() => {
            this.retryTimer = null;
            void this.drain();
          }, RETRY_DELAY_MS).unref();
          return;
        }
      }
    } finally {
      this.isWriting = false;
    }
  }

  private async write(batch: readonly DeadLetter[]): Promise<void> {
    const { host, deadLetterTopic } = this.options;
    await this.fillMessages(batch);
    const live = batch.filter((letter) => !letter.cursor.isRemoved);
    const records: ProducerRecord[] = [];
    const gone: DeadLetter[] = [];
    for (const letter of live) {
      if (letter.message === null) gone.push(letter);
      else records.push(this.recordOf(letter, letter.message));
    }
    if (records.length > 0) {
      await host.ensureTopic(deadLetterTopic, 1);
      const partition = host.partition(deadLetterTopic, 0);
      if (partition === undefined) {
        throw new FerryError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `dead-letter topic ${deadLetterTopic} has no partition 0`, {
          topic: deadLetterTopic,
        });
      }
      await host.append(partition, encodeRecordBatch({ records, now: host.now() }));
    }
    for (const letter of gone) {
      this.options.logger.warn(
        { topic: this.options.topic, partition: letter.cursor.index, offset: letter.offset },
        'a record to dead-letter is no longer in its log (deleted by retention); acknowledging it',
      );
    }
    const byCursor = new Map<PartitionCursor, number[]>();
    for (const letter of live) {
      let offsets = byCursor.get(letter.cursor);
      if (offsets === undefined) byCursor.set(letter.cursor, (offsets = []));
      offsets.push(letter.offset);
    }
    for (const [cursor, offsets] of byCursor) this.options.onWritten(cursor, offsets);
  }

  private async fillMessages(batch: readonly DeadLetter[]): Promise<void> {
    const missing = new Map<PartitionCursor, number[]>();
    for (const letter of batch) {
      if (letter.message !== null || letter.cursor.isRemoved) continue;
      let offsets = missing.get(letter.cursor);
      if (offsets === undefined) missing.set(letter.cursor, (offsets = []));
      offsets.push(letter.offset);
    }
    for (const [cursor, offsets] of missing) {
      offsets.sort((a, b) => a - b);
      const found = await readMessagesAt(cursor.partition.log, cursor.index, offsets, READ_BYTES);
      for (const letter of batch)
        if (letter.cursor === cursor && letter.message === null) letter.message = found.get(letter.offset) ?? null;
    }
  }

  private recordOf(letter: DeadLetter, message: QueueMessage): ProducerRecord {
    const headers = message.headers.filter((header) => !DEAD_LETTER_HEADERS.has(header.key));
    headers.push(
      textHeader(ReservedHeader.deadLetterReason, letter.reason),
      textHeader(ReservedHeader.originalTopic, this.options.topic),
      textHeader(ReservedHeader.originalPartition, letter.cursor.index),
      textHeader(ReservedHeader.originalOffset, letter.offset),
      textHeader(ReservedHeader.subscription, this.options.subscription),
      textHeader(ReservedHeader.deliveryCount, letter.deliveryCount),
    );
    return { key: message.key, value: message.value, headers, timestamp: message.timestamp };
  }
}

/** Headers a dead letter gets (replaced if the record already had them from an earlier trip). */
export const DEAD_LETTER_HEADERS: ReadonlySet<string> = new Set([
  ReservedHeader.deadLetterReason,
  ReservedHeader.originalTopic,
  ReservedHeader.originalPartition,
  ReservedHeader.originalOffset,
  ReservedHeader.subscription,
  ReservedHeader.deliveryCount,
]);
