import type { RecordHeader } from '../common/record-batch.ts';

/** What a QueueMessage's settle methods call on the subscription that received it. */
export interface QueueMessageOwner {
  ackMessage(message: QueueMessage): Promise<void>;
  nackMessage(message: QueueMessage, delayMs: number | undefined): Promise<void>;
  extendMessage(message: QueueMessage, extendMs: number): Promise<void>;
}

/**
 * One record delivered by a queue subscription. Settle it once: `ack()` (done; the promise
 * resolves when the ack is durable), `nack({ delayMs })` (redeliver later) or let its ack deadline
 * pass; `extend(ms)` buys time. One small object per record, methods on the prototype.
 */
export class QueueMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** Create time (or log-append time), ms since the epoch. */
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** Headers in record order, duplicates kept (values are views into the received frame). */
  readonly headerList: readonly RecordHeader[];
  /** 1 on the first delivery, then one more per redelivery. */
  readonly deliveryCount: number;
  /** @internal The connection generation it came on: acks of older ones cannot succeed. */
  readonly generation: number;
  private readonly owner: QueueMessageOwner;
  private headerMap: Record<string, Buffer | null> | null = null;

  /** @internal Made by QueueSubscription, straight from the push frame's fields. */
  constructor(
    owner: QueueMessageOwner,
    topic: string,
    generation: number,
    partition: number,
    offset: number,
    timestamp: number,
    key: Buffer | null,
    value: Buffer | null,
    headers: RecordHeader[],
    deliveryCount: number,
  ) {
    this.owner = owner;
    this.topic = topic;
    this.generation = generation;
    this.partition = partition;
    this.offset = offset;
    this.timestamp = timestamp;
    this.key = key;
    this.value = value;
    this.headerList = headers;
    this.deliveryCount = deliveryCount;
  }

  /** Headers by name (the last of duplicates wins), built on first access. */
  get headers(): Readonly<Record<string, Buffer | null>> {
    if (this.headerMap === null) {
      const map: Record<string, Buffer | null> = {};
      for (const header of this.headerList) {
        Object.defineProperty(map, header.key, { value: header.value, enumerable: true, writable: true, configurable: true });
      }
      this.headerMap = map;
    }
    return this.headerMap;
  }

  /** Acknowledges the record; resolves once the broker has made the ack durable. Acks of one
   *  tick travel in one frame. */
  ack(): Promise<void> {
    return this.owner.ackMessage(this);
  }

  /** Gives the record back: redelivered after `delayMs` (default: the subscription's backoff). */
  nack(options: { delayMs?: number } = {}): Promise<void> {
    return this.owner.nackMessage(this, options.delayMs);
  }

  /** Moves this record's ack deadline to `ms` from now. */
  extend(ms: number): Promise<void> {
    return this.owner.extendMessage(this, ms);
  }
}
