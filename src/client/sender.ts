import { ErrorCode, type FerryError, toFerryError } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import {
  type Acks,
  initProducerIdApi,
  type ProducePartitionResult,
  type ProduceRequest,
  produceApi,
} from '../protocols/native/apis/produce.ts';
import { backoffMs } from './backoff.ts';
import { encodeProducerBatch, stampProducerBatch } from './batch-encoder.ts';
import type { Channel } from './channel.ts';
import type { ProducerBatch } from './producer-batch.ts';
import type { CompressionName } from '../common/record-batch-header.ts';

export interface SenderOptions {
  acks: Acks;
  isIdempotent: boolean;
  compression: CompressionName;
  /** Produce requests in flight at once (Kafka's max.in.flight.requests.per.connection). */
  maxInFlight: number;
  /** Upper bound on one request's size; a single larger batch still goes alone. */
  maxRequestBytes: number;
  requestTimeoutMs: number;
  retries: number;
  retryBackoffMs: number;
  maxRetryBackoffMs: number;
  logger: Logger;
  /** Every batch, once acknowledged or failed for good. */
  onBatchDone: (batch: ProducerBatch) => void;
}

/** Room for the frame header and per-partition fields around the batches of one request. */
const REQUEST_OVERHEAD_BYTES = 64 * 1024;

/** One partition's queue: sealed batches waiting, and batches sent and not yet answered. */
interface PartitionQueue {
  ready: ProducerBatch[];
  /** In send order. */
  inFlight: ProducerBatch[];
  /** Failed retriably; resent, in order, once `inFlight` is empty. */
  retrying: ProducerBatch[];
  nextSequence: number;
  retryAtMs: number;
}

/** Errors after which a batch may be resent safely (idempotence makes the resend exact). */
function isRetriable(error: FerryError): boolean {
  return error.isRetriable || error.code === ErrorCode.OUT_OF_ORDER_SEQUENCE;
}

/**
 * Moves sealed batches to the broker: one produce request carries at most one batch per
 * partition, up to `maxInFlight` requests are pipelined on the producer's connection.
 *
 * Idempotence (KIP-98): the producer id and epoch come from InitProducerId; each partition's
 * batches get consecutive sequence numbers when first sent. A batch that fails retriably (lost
 * connection, timeout, NOT_LEADER, out of order behind a failed one) is resent with the same
 * sequence, and in order: a partition sends nothing new until every batch it has in flight is
 * answered, then resends its failed batches first. The broker recognises a resent batch it
 * already wrote and answers it as a duplicate, so a retry never writes a record twice. A batch
 * that fails for good leaves a gap in the sequence; the epoch is bumped (InitProducerId with the
 * current id) and every queued batch is restamped from sequence 0 before anything else is sent.
 */
export class Sender {
  private readonly options: SenderOptions;
  private readonly channel: Channel;
  private readonly queues = new Map<string, Map<number, PartitionQueue>>();
  private inFlightRequests = 0;
  private producerId = -1;
  private producerEpoch = -1;
  private producerIdPending: Promise<void> | null = null;
  /** 'bump': a sequence gap, start a new epoch of the same id; 'new': the broker does not know
   *  the id (e.g. it lost its producer state), get a new one. */
  private idReset: 'none' | 'bump' | 'new' = 'none';
  private isDrainScheduled = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private fatalError: FerryError | null = null;

  constructor(channel: Channel, options: SenderOptions) {
    this.channel = channel;
    this.options = options;
  }

  enqueue(batch: ProducerBatch): void {
    if (this.fatalError) {
      this.finish(batch, this.fatalError);
      return;
    }
    this.queueOf(batch.topic, batch.partition).ready.push(batch);
    this.scheduleDrain();
  }

  /** The last batch waiting in a partition's queue, while it can still take records: not yet
   *  encoded (so not sent, not stamped with a sequence, not a retry). */
  appendableQueued(topic: string, partition: number): ProducerBatch | undefined {
    const queue = this.queues.get(topic)?.get(partition);
    if (!queue || queue.retrying.length > 0) return undefined;
    const last = queue.ready[queue.ready.length - 1];
    return last && last.encoded === null && !last.isDone ? last : undefined;
  }

  /** Fails everything queued (the producer is being torn down). */
  abort(error: FerryError): void {
    this.fatalError = error;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    for (const byPartition of this.queues.values()) {
      for (const queue of byPartition.values()) {
        for (const batch of [...queue.ready, ...queue.retrying]) this.finish(batch, error);
        queue.ready = [];
        queue.retrying = [];
      }
    }
  }

  private queueOf(topic: string, partition: number): PartitionQueue {
    let byPartition = this.queues.get(topic);
    if (!byPartition) {
      byPartition = new Map();
      this.queues.set(topic, byPartition);
    }
    let queue = byPartition.get(partition);
    if (!queue) {
      queue = { ready: [], inFlight: [], retrying: [], nextSequence: 0, retryAtMs: 0 };
      byPartition.set(partition, queue);
    }
    return queue;
  }

  private scheduleDrain(): void {
    if (this.isDrainScheduled) return;
    this.isDrainScheduled = true;
    // After the current tick: records sent in the same loop iteration fill batches first.
    setImmediate(() => {
      this.isDrainScheduled = false;
      this.drain();
    });
  }

  /** Sends what is ready now (the caller is already past the current loop turn). */
  drainNow(): void {
    this.drain();
  }

  private drain(): void {
    if (this.fatalError) return;
    if (this.options.isIdempotent && (this.producerId < 0 || this.idReset !== 'none')) {
      this.ensureProducerId();
      return;
    }
    const nowMs = Date.now();
    let earliestRetryMs = Number.POSITIVE_INFINITY;
    // A request must fit the server's frame limit (announced in Hello), headers included.
    const serverMaxFrameBytes = this.channel.openConnection?.hello.maxFrameBytes ?? Number.POSITIVE_INFINITY;
    const maxRequestBytes = Math.min(this.options.maxRequestBytes, serverMaxFrameBytes - REQUEST_OVERHEAD_BYTES);
    while (this.inFlightRequests < this.options.maxInFlight) {
      const picked: { batch: ProducerBatch; queue: PartitionQueue }[] = [];
      let requestBytes = 0;
      for (const byPartition of this.queues.values()) {
        for (const queue of byPartition.values()) {
          const batch = queue.ready[0];
          if (!batch || queue.retrying.length > 0) continue;
          if (queue.retryAtMs > nowMs) {
            earliestRetryMs = Math.min(earliestRetryMs, queue.retryAtMs);
            continue;
          }
          const encoded = this.encode(batch, queue);
          if (!encoded) continue;
          if (picked.length > 0 && requestBytes + encoded.length > maxRequestBytes) continue;
          queue.ready.shift();
          queue.inFlight.push(batch);
          picked.push({ batch, queue });
          requestBytes += encoded.length;
        }
      }
      if (picked.length === 0) break;
      this.send(picked);
    }
    if (Number.isFinite(earliestRetryMs) && !this.retryTimer) {
      this.retryTimer = setTimeout(
        () => {
          this.retryTimer = null;
          this.drain();
        },
        Math.max(1, earliestRetryMs - nowMs),
      );
    }
  }

  /** Encodes on first send (stamping the sequence); later sends reuse the bytes. A batch that
   *  cannot be encoded (e.g. a bad timestamp) fails alone, before it takes a sequence number. */
  private encode(batch: ProducerBatch, queue: PartitionQueue): Buffer | null {
    const isNewSequence = this.options.isIdempotent && batch.baseSequence < 0;
    const baseSequence = isNewSequence ? queue.nextSequence : batch.baseSequence;
    try {
      if (!batch.encoded) {
        batch.encoded = encodeProducerBatch(batch, {
          compression: this.options.compression,
          producerId: this.options.isIdempotent ? this.producerId : -1,
          producerEpoch: this.options.isIdempotent ? this.producerEpoch : -1,
          baseSequence: this.options.isIdempotent ? baseSequence : -1,
        });
      } else if (isNewSequence) {
        stampProducerBatch(batch.encoded, this.producerId, this.producerEpoch, baseSequence);
      }
    } catch (error) {
      queue.ready.shift();
      this.finish(batch, toFerryError(error, ErrorCode.INVALID_RECORD));
      return null;
    }
    if (isNewSequence) {
      batch.baseSequence = baseSequence;
      queue.nextSequence = (baseSequence + batch.recordCount) | 0;
    }
    return batch.encoded;
  }

  private send(picked: { batch: ProducerBatch; queue: PartitionQueue }[]): void {
    const request: ProduceRequest = {
      acks: this.options.acks,
      timeoutMs: this.options.requestTimeoutMs,
      partitions: picked.map(({ batch }) => ({ topic: batch.topic, partition: batch.partition, records: batch.encoded! })),
    };
    this.inFlightRequests++;
    // Write synchronously when connected, so requests leave in the order they were made.
    const open = this.channel.openConnection;
    const connection = open ? Promise.resolve(open) : this.channel.connection();
    const answer =
      this.options.acks === 0
        ? connection.then((c) => c.send(produceApi, request)).then(() => null)
        : connection.then((c) => c.request(produceApi, request, this.options.requestTimeoutMs + 5000));
    answer.then(
      (response) => {
        this.inFlightRequests--;
        for (let i = 0; i < picked.length; i++) {
          const { batch, queue } = picked[i]!;
          const result: ProducePartitionResult | undefined = response?.partitions[i];
          if (response && (!result || result.topic !== batch.topic || result.partition !== batch.partition)) {
            this.onAnswer(
              batch,
              queue,
              toFerryError(new Error('produce answer does not match the request'), ErrorCode.UNKNOWN_SERVER_ERROR),
              -1,
            );
          } else this.onAnswer(batch, queue, result?.error ?? null, result?.baseOffset ?? -1);
        }
        this.drain();
      },
      (error: unknown) => {
        this.inFlightRequests--;
        const failure = toFerryError(error, ErrorCode.CONNECTION_CLOSED);
        for (const { batch, queue } of picked) this.onAnswer(batch, queue, failure, -1);
        this.drain();
      },
    );
  }

  private onAnswer(batch: ProducerBatch, queue: PartitionQueue, error: FerryError | null, baseOffset: number): void {
    const at = queue.inFlight.indexOf(batch);
    if (at >= 0) queue.inFlight.splice(at, 1);
    if (!error || error.code === ErrorCode.DUPLICATE_SEQUENCE) {
      batch.complete(error ? -1 : baseOffset);
      this.options.onBatchDone(batch);
    } else {
      batch.attempts++;
      batch.lastError = error;
      if (error.code === ErrorCode.UNKNOWN_PRODUCER_ID && batch.attempts <= this.options.retries) {
        // Nothing was written under an id the broker does not know: resend under a new id.
        this.idReset = 'new';
        queue.retrying.push(batch);
      } else if (isRetriable(error) && batch.attempts <= this.options.retries && !this.fatalError) {
        batch.needsRetry = true;
        queue.retrying.push(batch);
        this.options.logger.debug(
          { topic: batch.topic, partition: batch.partition, code: error.code, attempt: batch.attempts },
          'retrying produce',
        );
      } else {
        this.finish(batch, error);
        // The sequence now has a gap the broker would refuse: start a new epoch.
        if (this.options.isIdempotent && batch.baseSequence >= 0 && this.idReset === 'none') this.idReset = 'bump';
      }
    }
    if (queue.inFlight.length === 0 && queue.retrying.length > 0) {
      // Everything sent is answered: resend the failures first, in their original order.
      const retrying = queue.retrying.sort((a, b) => a.baseSequence - b.baseSequence);
      queue.retrying = [];
      queue.ready.unshift(...retrying);
      const attempt = Math.max(...retrying.map((b) => b.attempts));
      queue.retryAtMs = Date.now() + backoffMs(attempt - 1, this.options.retryBackoffMs, this.options.maxRetryBackoffMs);
    }
  }

  private finish(batch: ProducerBatch, error: FerryError): void {
    batch.fail(error);
    this.options.onBatchDone(batch);
  }

  /** Gets a producer id (first use) or bumps the epoch (after a gap), once nothing is in flight. */
  private ensureProducerId(): void {
    if (this.producerIdPending || this.inFlightRequests > 0) return;
    const isReset = this.producerId >= 0;
    const request =
      this.idReset === 'bump'
        ? { transactionalId: null, producerId: this.producerId, producerEpoch: this.producerEpoch }
        : { transactionalId: null, producerId: -1, producerEpoch: -1 };
    this.producerIdPending = this.channel
      .request(initProducerIdApi, request, { retries: this.options.retries, retryOn: 'retriable', signal: this.channel.closeSignal })
      .then(
        (answer) => {
          this.producerId = answer.producerId;
          this.producerEpoch = answer.producerEpoch;
          if (isReset) this.restampAll();
          this.idReset = 'none';
        },
        (error: unknown) => {
          const failure = toFerryError(error);
          this.options.logger.error({ code: failure.code, reason: failure.message }, 'producer could not get a producer id');
          this.abort(failure);
        },
      )
      .finally(() => {
        this.producerIdPending = null;
        this.drain();
      });
  }

  /** New epoch: sequences restart at 0, and every batch not yet acknowledged is renumbered. */
  private restampAll(): void {
    for (const byPartition of this.queues.values()) {
      for (const queue of byPartition.values()) {
        queue.nextSequence = 0;
        for (const batch of queue.ready) batch.baseSequence = -1;
        for (const batch of queue.retrying) batch.baseSequence = -1;
      }
    }
  }
}
