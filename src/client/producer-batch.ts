import type { FerryError } from '../common/errors.ts';
import type { ProducerRecord, RecordMetadata } from './records.ts';

/**
 * Records bound for one partition that travel as one RecordBatch v2. Every record of a batch
 * shares the batch's single promise: a record's offset is the batch's base offset plus its index,
 * so `send` allocates no promise of its own (DESIGN.md section 4: no per-record promises).
 */
export class ProducerBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: ProducerRecord[] = [];
  readonly createdAtMs: number;
  estimatedBytes = 0;
  /** Set when sealed (no more records); encoding happens once, at first send. */
  encoded: Buffer | null = null;
  /** Idempotence: first sequence number, -1 until stamped at (re)send. */
  baseSequence = -1;
  /** Failed sends so far. */
  attempts = 0;
  /** Failed retriably while in flight: resend once the partition's in-flight batches settle. */
  needsRetry = false;
  lastError: FerryError | null = null;
  baseOffset = -1;
  isDone = false;
  /** Resolves with this batch once acknowledged; the receipts read their offsets from it. */
  readonly promise: Promise<ProducerBatch>;
  private resolvePromise!: (batch: ProducerBatch) => void;
  private rejectPromise!: (error: FerryError) => void;

  constructor(topic: string, partition: number, nowMs: number) {
    this.topic = topic;
    this.partition = partition;
    this.createdAtMs = nowMs;
    this.promise = new Promise<ProducerBatch>((resolve, reject) => {
      this.resolvePromise = resolve;
      this.rejectPromise = reject;
    });
    // A failure nobody awaits must not become an unhandled rejection: it surfaces through
    // flush() and close() instead (and through every receipt that is awaited).
    this.promise.catch(() => {});
  }

  get recordCount(): number {
    return this.records.length;
  }

  /** Adds a record; returns its index in the batch. */
  add(record: ProducerRecord, estimatedBytes: number): number {
    this.records.push(record);
    this.estimatedBytes += estimatedBytes;
    return this.records.length - 1;
  }

  complete(baseOffset: number): void {
    if (this.isDone) return;
    this.isDone = true;
    this.baseOffset = baseOffset;
    this.resolvePromise(this);
  }

  fail(error: FerryError): void {
    if (this.isDone) return;
    this.isDone = true;
    this.lastError = error;
    this.rejectPromise(error);
  }

  metadataOf(index: number): RecordMetadata {
    return { topic: this.topic, partition: this.partition, offset: this.baseOffset < 0 ? -1 : this.baseOffset + index };
  }
}

/**
 * What `send` returns: awaitable like a promise of the record's metadata, but one small object
 * per record instead of a promise (a promise is made only if the caller actually awaits it).
 */
export interface SendReceipt extends PromiseLike<RecordMetadata> {
  catch<T = never>(onRejected?: ((reason: FerryError) => T | PromiseLike<T>) | null): Promise<RecordMetadata | T>;
  finally(onFinally?: (() => void) | null): Promise<RecordMetadata>;
}

export class BatchReceipt implements SendReceipt {
  private readonly batch: ProducerBatch;
  private readonly index: number;

  constructor(batch: ProducerBatch, index: number) {
    this.batch = batch;
    this.index = index;
  }

  // biome-ignore lint/suspicious/noThenProperty: a receipt is deliberately awaitable
  then<A = RecordMetadata, B = never>(
    onFulfilled?: ((value: RecordMetadata) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: FerryError) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.batch.promise.then((batch) => batch.metadataOf(this.index)).then(onFulfilled, onRejected);
  }

  catch<T = never>(onRejected?: ((reason: FerryError) => T | PromiseLike<T>) | null): Promise<RecordMetadata | T> {
    return this.then(undefined, onRejected);
  }

  finally(onFinally?: (() => void) | null): Promise<RecordMetadata> {
    return this.then().finally(onFinally);
  }
}
