import type { QueueConsumer, QueueMessage, SubscribeOptions, SubscriptionMode } from '../../broker/queues/types.ts';
import type { BrokerWithQueues } from '../../broker/types.ts';
import { ErrorCode, FerryError } from '../../common/errors.ts';
import type { Logger } from '../../common/logger.ts';
import type { EncodedFrame } from './codec.ts';
import { encodeConsumerClosedPush, encodeDeliveryPush } from './apis/queue-push.ts';
import type { NativeLimits } from './limits.ts';

interface Entry {
  handle: number;
  consumer: QueueConsumer | null;
  /** Deliveries that came before the Subscribe answer went out (at most `prefetch` records). */
  early: QueueMessage[][] | null;
  /** The prefetch the client asked for; the broker holds 1 while the session is paused. */
  prefetch: number;
  isClosed: boolean;
}

export interface SessionQueuesOptions {
  broker: BrokerWithQueues;
  limits: NativeLimits;
  logger: Logger;
  /** Writes a frame to the connection's socket. */
  write(frame: EncodedFrame): void;
  /** Bytes the socket holds, not yet taken by the kernel. */
  writableBytes(): number;
}

/**
 * The queue consumers of one native connection: handle numbers, deliveries turned into push
 * frames, and socket back-pressure. Prefetch already bounds what the broker hands a consumer, but
 * records whose ack deadline expires free credit again, so a client that reads nothing would keep
 * receiving; above `maxPushBufferedBytes` in the socket every consumer here is held at prefetch 1
 * until the socket drains. When the connection ends every consumer is closed, so the broker
 * redelivers its in-flight records to others at once.
 */
export class SessionQueues {
  private readonly options: SessionQueuesOptions;
  private readonly entries = new Map<number, Entry>();
  private nextHandle = 1;
  private isPaused = false;
  private isShut = false;

  constructor(options: SessionQueuesOptions) {
    this.options = options;
  }

  get consumerCount(): number {
    return this.entries.size;
  }

  async subscribe(
    topic: string,
    name: string,
    mode: SubscriptionMode,
    options: Omit<SubscribeOptions, 'onDeliver' | 'onClose'>,
  ): Promise<{ handle: number; consumerId: string }> {
    if (this.isShut) throw new FerryError(ErrorCode.CONNECTION_CLOSED, 'connection is closing');
    const { maxQueueConsumersPerConnection } = this.options.limits;
    if (this.entries.size >= maxQueueConsumersPerConnection) {
      throw new FerryError(
        ErrorCode.INVALID_REQUEST,
        `a connection may hold ${maxQueueConsumersPerConnection} queue consumers (maxQueueConsumersPerConnection)`,
        { maxQueueConsumersPerConnection },
      );
    }
    const handle = this.nextHandle;
    this.nextHandle = handle >= 0xffff_fffe ? 1 : handle + 1;
    const entry: Entry = { handle, consumer: null, early: [], prefetch: options.prefetch ?? -1, isClosed: false };
    this.entries.set(handle, entry);
    let consumer: QueueConsumer;
    try {
      consumer = await this.options.broker.subscribe(topic, name, mode, {
        ...options,
        prefetch: options.prefetch,
        onDeliver: (messages) => this.deliver(entry, messages),
        onClose: (reason) => this.brokerClosed(entry, reason),
      });
    } catch (error) {
      this.entries.delete(handle);
      throw error;
    }
    entry.consumer = consumer;
    if (entry.prefetch < 0) entry.prefetch = await this.resolvedPrefetch(topic, name, consumer.id);
    // Subscribed while the socket is backed up: held like the others until it drains.
    if (this.isPaused && !consumer.isClosed) consumer.setPrefetch(1);
    if (this.isShut || entry.isClosed) {
      this.entries.delete(handle);
      await consumer.close();
      throw new FerryError(ErrorCode.CONNECTION_CLOSED, entry.isClosed ? 'consumer closed by the broker' : 'connection is closing');
    }
    // The session writes the Subscribe answer in a promise callback after this resolves: a macrotask
    // later the answer is out, so the client knows the handle before its first push.
    setImmediate(() => this.release(entry));
    return { handle, consumerId: consumer.id };
  }

  /** The broker's default prefetch, as given to this consumer: restored after a pause. */
  private async resolvedPrefetch(topic: string, name: string, consumerId: string): Promise<number> {
    try {
      const description = await this.options.broker.describeSubscription(topic, name);
      return description.consumers.find((c) => c.id === consumerId)?.prefetch ?? 1;
    } catch {
      return 1;
    }
  }

  consumer(handle: number): QueueConsumer {
    const entry = this.entries.get(handle);
    if (entry?.consumer == null || entry.isClosed) {
      throw new FerryError(ErrorCode.INVALID_REQUEST, `no queue consumer with handle ${handle} on this connection`, { handle });
    }
    return entry.consumer;
  }

  async unsubscribe(handle: number): Promise<void> {
    const consumer = this.consumer(handle);
    this.entries.delete(handle);
    await consumer.close();
  }

  setPrefetch(handle: number, prefetch: number): void {
    const consumer = this.consumer(handle);
    if (!this.isPaused) consumer.setPrefetch(prefetch);
    this.entries.get(handle)!.prefetch = prefetch;
  }

  /** The socket took its buffered bytes: full prefetch again. */
  onDrain(): void {
    if (!this.isPaused || this.options.writableBytes() > this.options.limits.maxPushBufferedBytes) return;
    this.isPaused = false;
    for (const entry of this.entries.values()) {
      if (entry.consumer === null || entry.isClosed || entry.prefetch < 0) continue;
      try {
        entry.consumer.setPrefetch(entry.prefetch);
      } catch (error) {
        this.options.logger.debug({ handle: entry.handle, err: String(error) }, 'queue consumer prefetch not restored');
      }
    }
  }

  /** The connection ended: close every consumer so its in-flight records go back at once. */
  async closeAll(): Promise<void> {
    this.isShut = true;
    const consumers: QueueConsumer[] = [];
    for (const entry of this.entries.values()) {
      entry.isClosed = true;
      if (entry.consumer) consumers.push(entry.consumer);
    }
    this.entries.clear();
    await Promise.allSettled(consumers.map((consumer) => consumer.close()));
  }

  private deliver(entry: Entry, messages: QueueMessage[]): void {
    if (entry.isClosed || this.isShut) return;
    if (entry.early !== null) {
      entry.early.push(messages);
      return;
    }
    this.options.write(encodeDeliveryPush(entry.handle, messages));
    if (!this.isPaused && this.options.writableBytes() > this.options.limits.maxPushBufferedBytes) this.pause();
  }

  private release(entry: Entry): void {
    const early = entry.early;
    entry.early = null;
    if (early) for (const messages of early) this.deliver(entry, messages);
  }

  private pause(): void {
    this.isPaused = true;
    this.options.logger.debug({ writableBytes: this.options.writableBytes() }, 'queue deliveries held: client is not reading');
    for (const entry of this.entries.values()) {
      if (entry.consumer === null || entry.isClosed) continue;
      try {
        entry.consumer.setPrefetch(1);
      } catch (error) {
        this.options.logger.debug({ handle: entry.handle, err: String(error) }, 'queue consumer not paused');
      }
    }
  }

  private brokerClosed(entry: Entry, reason: string): void {
    if (entry.isClosed) return;
    entry.isClosed = true;
    this.entries.delete(entry.handle);
    if (!this.isShut) this.options.write(encodeConsumerClosedPush(entry.handle, reason));
  }
}
