import { ErrorCode, isFerryError } from '../../common/errors.ts';
import { forEachRecord, type RecordHeader, type RecordView } from '../../common/record-batch.ts';
import { Attribute, BATCH_HEADER_BYTES, BatchField, batchLastOffset, batchSizeBytes } from '../../common/record-batch-header.ts';
import type { PartitionLog } from '../../storage/types.ts';
import type { QueueMessage } from './types.ts';

const EMPTY = Buffer.alloc(0);
/** Shared by every record without headers (most): one less array per record. Frozen, so a
 *  consumer that pushes onto it fails loudly; the broker's own users copy before adding. */
const NO_HEADERS: RecordHeader[] = Object.freeze([]) as unknown as RecordHeader[];

/** A message for a record view; key, value and header values are views into the batch bytes. */
export function messageOf(view: RecordView, partition: number): QueueMessage {
  return {
    partition,
    offset: view.offset,
    timestamp: view.timestamp,
    key: view.key(),
    value: view.value(),
    headers: view.headerCount === 0 ? NO_HEADERS : view.headers(),
    deliveryCount: 0,
  };
}

/**
 * Decodes the records of the whole batches in `data` with offsets in [fromOffset, toOffset),
 * calling `sink` for each (only those `wanted` accepts, when given: the others are not even
 * materialised); stops early when `sink` returns false. Control batches are skipped.
 * Returns the offset after the last record looked at (the next to read).
 */
export function decodeMessages(
  data: Buffer,
  partition: number,
  fromOffset: number,
  toOffset: number,
  sink: (message: QueueMessage) => boolean,
  wanted?: (offset: number) => boolean,
): number {
  let at = 0;
  let next = fromOffset;
  while (data.length - at >= BATCH_HEADER_BYTES) {
    const sizeBytes = batchSizeBytes(data, at);
    if (sizeBytes < BATCH_HEADER_BYTES || sizeBytes > data.length - at) break;
    const lastOffset = batchLastOffset(data, at);
    const isControl = (data.readInt16BE(at + BatchField.attributes) & Attribute.control) !== 0;
    if (lastOffset >= next && !isControl) {
      let isStopped = false;
      forEachRecord(
        data,
        (view) => {
          if (view.offset < next) return true;
          if (view.offset >= toOffset) {
            isStopped = true;
            return false;
          }
          next = view.offset + 1;
          if (wanted !== undefined && !wanted(view.offset)) return true;
          if (!sink(messageOf(view, partition))) {
            isStopped = true;
            return false;
          }
          return true;
        },
        at,
        { verifyCrc: false },
      );
      if (isStopped) return next;
    }
    next = Math.max(next, Math.min(lastOffset + 1, toOffset));
    at += sizeBytes;
  }
  return next;
}

/**
 * Reads one partition forward for first deliveries: a chunk of stored batches at a time
 * (`chunkBytes`), decoded one batch at a time as the dispatcher takes messages, so a slow
 * subscription holds at most one chunk and one decoded batch in memory. The bytes were checked
 * (CRC) when appended, so reads skip the CRC.
 */
export class MessageReader {
  private readonly log: PartitionLog;
  private readonly partitionIndex: number;
  private readonly chunkBytes: number;
  private chunk: Buffer = EMPTY;
  private at = 0;
  private decoded: QueueMessage[] = [];
  private decodedIndex = 0;
  /** Offset of the next record to hand out. */
  nextOffset: number;

  constructor(log: PartitionLog, partitionIndex: number, chunkBytes: number, startOffset: number) {
    this.log = log;
    this.partitionIndex = partitionIndex;
    this.chunkBytes = chunkBytes;
    this.nextOffset = startOffset;
  }

  /** True when messages are decoded or a chunk is loaded: `next()` can answer without I/O. */
  get hasBuffered(): boolean {
    return this.decodedIndex < this.decoded.length || this.at < this.chunk.length;
  }

  /** True when the log has records at or above `nextOffset` below its high watermark. */
  get hasUnread(): boolean {
    return this.nextOffset < this.log.highWatermark;
  }

  /** The next message held in memory, or null (call `fill()`). */
  next(): QueueMessage | null {
    for (;;) {
      if (this.decodedIndex < this.decoded.length) {
        const message = this.decoded[this.decodedIndex]!;
        this.decoded[this.decodedIndex++] = undefined as unknown as QueueMessage;
        if (message.offset < this.nextOffset) continue;
        this.nextOffset = message.offset + 1;
        return message;
      }
      if (!this.decodeNextBatch()) return null;
    }
  }

  /** Puts back the message `next()` returned last (the dispatcher could not place it). */
  unread(message: QueueMessage): void {
    this.decodedIndex--;
    this.decoded[this.decodedIndex] = message;
    this.nextOffset = message.offset;
  }

  /**
   * Loads the next chunk from the log. Returns false when nothing is readable yet. If the log
   * start moved past `nextOffset` (retention), reading resumes at the log start: the caller sees
   * the jump in `nextOffset`.
   */
  async fill(): Promise<boolean> {
    if (this.hasBuffered) return true;
    const log = this.log;
    if (this.nextOffset < log.logStartOffset) this.nextOffset = log.logStartOffset;
    if (this.nextOffset >= log.highWatermark) return false;
    const offset = this.nextOffset;
    let data: Buffer;
    try {
      ({ data } = await log.read(offset, this.chunkBytes, { maxOffset: log.highWatermark }));
    } catch (error) {
      if (isFerryError(error) && error.code === ErrorCode.OFFSET_OUT_OF_RANGE && offset < log.logStartOffset) {
        this.nextOffset = log.logStartOffset;
        return this.fill();
      }
      throw error;
    }
    if (this.nextOffset !== offset) return true; // seeked while reading: the new position wins
    this.chunk = data;
    this.at = 0;
    return data.length > 0;
  }

  /** Forgets what is buffered and reads from `offset` next. */
  seek(offset: number): void {
    this.chunk = EMPTY;
    this.at = 0;
    this.decoded = [];
    this.decodedIndex = 0;
    this.nextOffset = offset;
  }

  private decodeNextBatch(): boolean {
    const chunk = this.chunk;
    while (chunk.length - this.at >= BATCH_HEADER_BYTES) {
      const at = this.at;
      const sizeBytes = batchSizeBytes(chunk, at);
      if (sizeBytes < BATCH_HEADER_BYTES || sizeBytes > chunk.length - at) break;
      this.at += sizeBytes;
      if (batchLastOffset(chunk, at) < this.nextOffset) continue;
      const messages: QueueMessage[] = [];
      const batch = chunk.subarray(at, at + sizeBytes);
      const end = decodeMessages(batch, this.partitionIndex, this.nextOffset, Number.POSITIVE_INFINITY, (message) => {
        messages.push(message);
        return true;
      });
      if (messages.length === 0) {
        // A control batch or records below nextOffset only: move past it.
        this.nextOffset = Math.max(this.nextOffset, end);
        continue;
      }
      this.decoded = messages;
      this.decodedIndex = 0;
      return true;
    }
    this.chunk = EMPTY;
    this.at = 0;
    return false;
  }
}

/**
 * Reads the records at given offsets (redeliveries, dead letters): one log read per batch that
 * holds them, reading a little around each so that neighbours come along.
 */
export async function readMessagesAt(
  log: PartitionLog,
  partitionIndex: number,
  sortedOffsets: readonly number[],
  readBytes: number,
): Promise<Map<number, QueueMessage>> {
  const found = new Map<number, QueueMessage>();
  const wanted = new Set<number>(sortedOffsets);
  let i = 0;
  while (i < sortedOffsets.length) {
    const offset = sortedOffsets[i]!;
    if (found.has(offset) || offset < log.logStartOffset || offset >= log.highWatermark) {
      i++;
      continue;
    }
    let data: Buffer;
    try {
      ({ data } = await log.read(offset, readBytes, { maxOffset: log.highWatermark }));
    } catch (error) {
      if (isFerryError(error) && error.code === ErrorCode.OFFSET_OUT_OF_RANGE) {
        i++;
        continue;
      }
      throw error;
    }
    let last = offset;
    last =
      decodeMessages(
        data,
        partitionIndex,
        offset,
        Number.POSITIVE_INFINITY,
        (message) => {
          found.set(message.offset, message);
          return true;
        },
        (candidate) => wanted.has(candidate),
      ) - 1;
    i++;
    while (i < sortedOffsets.length && sortedOffsets[i]! <= last) i++;
  }
  return found;
}
