import { ErrorCode, FerryError, toFerryError } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import type { CompressionName } from '../common/record-batch-header.ts';
import type { Acks } from '../protocols/native/apis/produce.ts';
import { Accumulator } from './accumulator.ts';
import { Channel } from './channel.ts';
import { DefaultPartitioner, type Partitioner } from './partitioner.ts';
import { BatchReceipt, type ProducerBatch, type SendReceipt } from './producer-batch.ts';
import { Fifo } from './fifo.ts';
import { estimateRecordBytes, type ProducerMessage, type ProducerRecord, type RecordMetadata } from './records.ts';
import { hasQueueFields, isDelayed, withQueueHeaders } from './scheduling.ts';
import { Sender } from './sender.ts';
import { TopicMetadata } from './topic-metadata.ts';

export type { Partitioner, SendReceipt };

/** Options of `client.producer()`. Every field is optional; defaults are listed. */
export interface ProducerOptions {
  /** `'all'` (default): the write is durable on every in-sync replica; `'leader'`: the leader
   *  wrote it; `'none'`: no answer at all (offsets come back -1; implies `idempotent: false`). */
  acks?: 'all' | 'leader' | 'none';
  /** How long a batch waits for more records before it is sent. Default 5 ms. */
  lingerMs?: number;
  /** A partition's batch is sent once it holds about this many bytes. Default 256 KiB. */
  batchBytes?: number;
  /** Batch compression: `'none'` (default), `'gzip'`, `'snappy'`, `'lz4'`, `'zstd'`. */
  compression?: CompressionName;
  /** Exactly-once per partition across retries (producer id + sequence numbers). Default true;
   *  needs acks `'all'`. */
  idempotent?: boolean;
  /** Records accepted but not yet acknowledged, in bytes. When full, `send` waits (its receipt
   *  settles later) and `sendBatch` waits before accepting. Default 32 MiB. */
  maxBufferedBytes?: number;
  /** Produce requests in flight at once on the producer's connection. Default 5. */
  maxInFlight?: number;
  /** Resends of a batch after a retriable error (lost connection, timeout, NOT_LEADER, ...).
   *  Default 10. */
  retries?: number;
  /** First back-off between resends; doubles per attempt up to `maxRetryBackoffMs`. Default 100 ms. */
  retryBackoffMs?: number;
  /** Default 5 s. */
  maxRetryBackoffMs?: number;
  /** How long the broker may take to acknowledge. Default 30 s. */
  requestTimeoutMs?: number;
  /** Default: murmur2 of the key, sticky for keyless records. */
  partitioner?: Partitioner;
}

/** What `sendBatch` resolves with, per input record and in input order. */
export interface SendBatchResult {
  partitions: Int32Array;
  /** -1 with acks 'none'. */
  offsets: Float64Array;
}

const ACKS: Readonly<Record<NonNullable<ProducerOptions['acks']>, Acks>> = { all: -1, leader: 1, none: 0 };

interface WaitingSend {
  record: ProducerRecord;
  estimatedBytes: number;
  resolve: (metadata: RecordMetadata) => void;
  reject: (error: FerryError) => void;
}

/**
 * Sends records to topics. `send` is synchronous in the common case: the record joins its
 * partition's open batch and the returned receipt settles when that batch is acknowledged.
 * Batches are sealed by size or linger, encoded once, and pipelined (see Sender).
 */
export class Producer {
  private readonly channel: Channel;
  private readonly logger: Logger;
  private readonly maxBufferedBytes: number;
  private readonly partitioner: Partitioner | null;
  private readonly defaultPartitioner = new DefaultPartitioner();
  private readonly metadata: TopicMetadata;
  private readonly accumulator: Accumulator;
  private readonly sender: Sender;
  /** Partition counts by topic, for the synchronous path (refreshed by `metadata`). */
  private readonly partitionCounts = new Map<string, number>();
  private bufferedBytes = 0;
  /** Sends that wait for buffer space or topic metadata, in send order. */
  private readonly waiting = new Fifo<WaitingSend>();
  private readonly outstanding = new Set<ProducerBatch>();
  private readonly capacityWaiters: (() => void)[] = [];
  private isClosing = false;
  private metadataTimer: NodeJS.Timeout;
  private readonly options: ProducerOptions;
  private readonly isIdempotent: boolean;
  /** Carries delayed records of an idempotent producer: the broker takes records due later out
   *  of their batch, which idempotent sequence numbers do not allow, so they travel in
   *  non-idempotent batches on a second connection (made on first use). */
  private delayed: Producer | null = null;

  /** @internal Made by `FerryClient.producer()`. */
  constructor(channel: Channel, options: ProducerOptions, logger: Logger) {
    this.channel = channel;
    this.logger = logger;
    const acks = ACKS[options.acks ?? 'all'];
    if (acks === undefined) throw new FerryError(ErrorCode.INVALID_CONFIG, `acks must be 'all', 'leader' or 'none'`);
    const isIdempotent = (options.idempotent ?? true) && acks === -1;
    this.options = options;
    this.isIdempotent = isIdempotent;
    if (options.idempotent === true && acks !== -1) {
      throw new FerryError(ErrorCode.INVALID_CONFIG, "an idempotent producer needs acks 'all'");
    }
    this.maxBufferedBytes = positive('maxBufferedBytes', options.maxBufferedBytes ?? 32 * 1024 * 1024);
    this.partitioner = options.partitioner ?? null;
    this.metadata = new TopicMetadata(channel, { allowAutoTopicCreation: true });
    this.sender = new Sender(channel, {
      acks,
      isIdempotent,
      compression: options.compression ?? 'none',
      maxInFlight: positive('maxInFlight', options.maxInFlight ?? 5),
      maxRequestBytes: 16 * 1024 * 1024,
      requestTimeoutMs: positive('requestTimeoutMs', options.requestTimeoutMs ?? 30_000),
      retries: options.retries ?? 10,
      retryBackoffMs: positive('retryBackoffMs', options.retryBackoffMs ?? 100),
      maxRetryBackoffMs: positive('maxRetryBackoffMs', options.maxRetryBackoffMs ?? 5000),
      logger,
      onBatchDone: (batch) => this.onBatchDone(batch),
    });
    this.accumulator = new Accumulator({
      batchBytes: positive('batchBytes', options.batchBytes ?? 256 * 1024),
      lingerMs: Math.max(0, options.lingerMs ?? 5),
      onSealed: (batch) => {
        this.defaultPartitioner.onBatchSealed(batch.topic, batch.partition, this.partitionCounts.get(batch.topic) ?? 1);
        this.sender.enqueue(batch);
      },
      appendableQueued: (topic, partition) => this.sender.appendableQueued(topic, partition),
      afterLinger: () => this.sender.drainNow(),
    });
    // New partitions show up within this period.
    this.metadataTimer = setInterval(() => this.refreshPartitionCounts(), 30_000);
    this.metadataTimer.unref();
  }

  /**
   * Sends one record. Returns a receipt that settles with `{ topic, partition, offset }` once the
   * record is acknowledged (await it, or don't: failures also surface from `flush()`).
   */
  send(record: ProducerRecord): SendReceipt;
  /** Sends several records of one topic (kafkajs style); resolves with each one's metadata. */
  send(batch: { topic: string; messages: readonly ProducerMessage[] }): Promise<RecordMetadata[]>;
  send(input: ProducerRecord | { topic: string; messages: readonly ProducerMessage[] }): SendReceipt | Promise<RecordMetadata[]> {
    if ('messages' in input && Array.isArray(input.messages)) {
      const topic = input.topic;
      return Promise.all(input.messages.map((message: ProducerMessage) => this.sendOne({ ...message, topic })));
    }
    return this.sendOne(input as ProducerRecord);
  }

  private sendOne(input: ProducerRecord): SendReceipt {
    if (this.isClosing) return Promise.reject(new FerryError(ErrorCode.CONNECTION_CLOSED, 'producer is closed'));
    let record = input;
    if (hasQueueFields(input)) {
      try {
        record = withQueueHeaders(input);
      } catch (error) {
        return Promise.reject(toFerryError(error));
      }
      if (this.isIdempotent && isDelayed(input)) return this.delayedProducer().sendOne(record);
    }
    const estimatedBytes = estimateRecordBytes(record);
    const partitionCount = this.partitionCounts.get(record.topic);
    if (
      partitionCount === undefined ||
      this.waiting.length > 0 ||
      (this.bufferedBytes > 0 && this.bufferedBytes + estimatedBytes > this.maxBufferedBytes)
    ) {
      return this.sendLater(record, estimatedBytes);
    }
    try {
      const batch = this.append(record, estimatedBytes, partitionCount);
      return new BatchReceipt(batch, batch.recordCount - 1);
    } catch (error) {
      return Promise.reject(toFerryError(error));
    }
  }

  /**
   * Sends many records with one promise: resolves when all are acknowledged, with each record's
   * partition and offset; rejects with the first failure. Waits first while the buffer is full.
   */
  async sendBatch(input: readonly ProducerRecord[]): Promise<SendBatchResult> {
    if (this.isClosing) throw new FerryError(ErrorCode.CONNECTION_CLOSED, 'producer is closed');
    if (input.some(hasQueueFields)) return this.sendScheduledBatch(input);
    const records = input;
    for (const topic of new Set(records.map((r) => r.topic))) {
      if (!this.partitionCounts.has(topic)) this.partitionCounts.set(topic, await this.metadata.partitionCount(topic));
    }
    while (this.bufferedBytes > 0 && this.bufferedBytes >= this.maxBufferedBytes) await this.waitForCapacity();
    // Waiting single sends go first, so order is kept for the records of one partition.
    while (this.waiting.length > 0) await this.waitForCapacity();
    const count = records.length;
    const batches: ProducerBatch[] = new Array(count);
    const indexes = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      const record = records[i]!;
      const batch = this.append(record, estimateRecordBytes(record), this.partitionCounts.get(record.topic)!);
      batches[i] = batch;
      indexes[i] = batch.recordCount - 1;
    }
    await Promise.all(Array.from(new Set(batches), (batch) => batch.promise));
    const result: SendBatchResult = { partitions: new Int32Array(count), offsets: new Float64Array(count) };
    for (let i = 0; i < count; i++) {
      const batch = batches[i]!;
      result.partitions[i] = batch.partition;
      result.offsets[i] = batch.baseOffset < 0 ? -1 : batch.baseOffset + indexes[i]!;
    }
    return result;
  }

  /** sendBatch with delayed records: those of an idempotent producer go through `delayed`. */
  private async sendScheduledBatch(input: readonly ProducerRecord[]): Promise<SendBatchResult> {
    const records = input.map((record) => (hasQueueFields(record) ? withQueueHeaders(record) : record));
    const toDelayed = this.isIdempotent ? input.map(isDelayed) : input.map(() => false);
    const own = records.filter((_, i) => !toDelayed[i]);
    const other = records.filter((_, i) => toDelayed[i]);
    const [ownResult, otherResult] = await Promise.all([
      own.length > 0 ? this.sendBatch(own) : null,
      other.length > 0 ? this.delayedProducer().sendBatch(other) : null,
    ]);
    const result: SendBatchResult = { partitions: new Int32Array(input.length), offsets: new Float64Array(input.length) };
    let ownAt = 0;
    let otherAt = 0;
    for (let i = 0; i < input.length; i++) {
      const [from, at] = toDelayed[i] ? [otherResult!, otherAt++] : [ownResult!, ownAt++];
      result.partitions[i] = from.partitions[at]!;
      result.offsets[i] = from.offsets[at]!;
    }
    return result;
  }

  private delayedProducer(): Producer {
    this.delayed ??= new Producer(new Channel(this.channel.options), { ...this.options, idempotent: false }, this.logger);
    return this.delayed;
  }

  /** Sends everything buffered now and waits until all of it is acknowledged; rejects with the
   *  first failure among them. */
  async flush(): Promise<void> {
    if (this.delayed) await this.delayed.flush();
    let firstError: FerryError | null = null;
    for (;;) {
      this.accumulator.sealAll();
      const pending: Promise<unknown>[] = [...this.outstanding].map((batch) => batch.promise);
      if (this.waiting.length > 0) pending.push(this.waitForCapacity());
      if (pending.length === 0) break;
      const settled = await Promise.allSettled(pending);
      for (const result of settled) if (result.status === 'rejected' && !firstError) firstError = toFerryError(result.reason);
    }
    if (firstError) throw firstError;
  }

  /** Flushes, then releases the producer's connection. Later sends fail with CONNECTION_CLOSED. */
  async close(): Promise<void> {
    if (this.isClosing) return;
    try {
      await this.flush();
    } finally {
      this.isClosing = true;
      this.teardown();
      await this.delayed?.close();
    }
  }

  /** @internal Crash simulation / client.destroy(): fails everything pending at once. */
  destroy(): void {
    this.isClosing = true;
    this.delayed?.destroy();
    const error = new FerryError(ErrorCode.CONNECTION_CLOSED, 'producer destroyed');
    this.accumulator.sealAll();
    this.sender.abort(error);
    for (const waiter of this.waiting.removeWhere(() => true)) waiter.reject(error);
    this.teardown();
  }

  private teardown(): void {
    clearInterval(this.metadataTimer);
    this.accumulator.close();
    this.channel.close();
  }

  /** Adds the record to its partition's batch; it is that batch's last record. */
  private append(record: ProducerRecord, estimatedBytes: number, partitionCount: number): ProducerBatch {
    const partition = this.choosePartition(record, partitionCount);
    this.bufferedBytes += estimatedBytes;
    const batch = this.accumulator.append(record.topic, partition, record, estimatedBytes);
    if (batch.recordCount === 1) this.outstanding.add(batch);
    return batch;
  }

  private choosePartition(record: ProducerRecord, partitionCount: number): number {
    let partition: number;
    if (record.partition !== undefined) partition = record.partition;
    else if (this.partitioner) partition = this.partitioner(record, partitionCount);
    else partition = this.defaultPartitioner.partition(record, partitionCount);
    if (!Number.isInteger(partition) || partition < 0 || partition >= partitionCount) {
      throw new FerryError(
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        `partition ${partition} of ${record.topic} does not exist (${partitionCount} partitions)`,
      );
    }
    return partition;
  }

  /** Slow path: the topic's metadata is unknown or the buffer is full. Keeps send order. */
  private sendLater(record: ProducerRecord, estimatedBytes: number): Promise<RecordMetadata> {
    const promise = new Promise<RecordMetadata>((resolve, reject) => {
      this.waiting.push({ record, estimatedBytes, resolve, reject });
    });
    if (!this.partitionCounts.has(record.topic)) {
      this.metadata.partitionCount(record.topic).then(
        (count) => {
          this.partitionCounts.set(record.topic, count);
          this.admitWaiting();
        },
        (error: unknown) => this.failWaiting(record.topic, toFerryError(error)),
      );
    }
    return promise;
  }

  /** Moves waiting sends into batches while there is room, in order. */
  private admitWaiting(): void {
    while (this.waiting.length > 0) {
      const next = this.waiting.peek()!;
      const partitionCount = this.partitionCounts.get(next.record.topic);
      if (partitionCount === undefined) return;
      if (this.bufferedBytes > 0 && this.bufferedBytes + next.estimatedBytes > this.maxBufferedBytes) return;
      this.waiting.shift();
      try {
        const batch = this.append(next.record, next.estimatedBytes, partitionCount);
        new BatchReceipt(batch, batch.recordCount - 1).then(next.resolve, next.reject);
      } catch (error) {
        next.reject(toFerryError(error));
      }
    }
    this.wakeCapacityWaiters();
  }

  private failWaiting(topic: string, error: FerryError): void {
    for (const waiter of this.waiting.removeWhere((w) => w.record.topic === topic)) waiter.reject(error);
    this.admitWaiting();
  }

  private onBatchDone(batch: ProducerBatch): void {
    this.outstanding.delete(batch);
    this.bufferedBytes -= batch.estimatedBytes;
    if (batch.lastError?.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) this.metadata.invalidate(batch.topic);
    this.admitWaiting();
  }

  private waitForCapacity(): Promise<void> {
    return new Promise((resolve) => this.capacityWaiters.push(resolve));
  }

  private wakeCapacityWaiters(): void {
    if (this.capacityWaiters.length === 0) return;
    if (this.waiting.length > 0 && this.bufferedBytes > 0) return;
    for (const wake of this.capacityWaiters.splice(0)) wake();
  }

  private refreshPartitionCounts(): void {
    for (const topic of this.partitionCounts.keys()) {
      this.metadata.refresh(topic).then(
        (count) => this.partitionCounts.set(topic, count),
        (error: unknown) => this.logger.debug({ topic, err: toFerryError(error).message }, 'metadata refresh failed'),
      );
    }
  }
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new FerryError(ErrorCode.INVALID_CONFIG, `${name} must be a positive number, got ${value}`);
  return value;
}
