import { Deque } from '../../storage/deque.ts';
import type { InFlight } from './partition-cursor.ts';
import type { QueueConsumer, QueueMessage } from './types.ts';

/** What a consumer handle calls on its subscription. */
export interface ConsumerOwner {
  ack(consumer: QueueConsumerHandle, partition: number, offsets: ArrayLike<number>): Promise<void>;
  nack(consumer: QueueConsumerHandle, partition: number, offsets: ArrayLike<number>, delayMs: number | undefined): void;
  extendDeadline(consumer: QueueConsumerHandle, partition: number, offsets: ArrayLike<number>, extendMs: number): void;
  setPrefetch(consumer: QueueConsumerHandle, prefetch: number): void;
  removeConsumer(consumer: QueueConsumerHandle, reason: string): Promise<void>;
}

export interface ConsumerSettings {
  id: string;
  topic: string;
  subscription: string;
  prefetch: number;
  ackTimeoutMs: number;
  /** Join order: failover picks the lowest. */
  sequence: number;
  onDeliver: (messages: QueueMessage[]) => void;
  onClose: ((reason: string) => void) | undefined;
}

/**
 * One consumer of a subscription: its credit (prefetch minus records in flight), the batch of
 * deliveries being assembled, and its in-flight records in delivery order (their deadlines are
 * in the same order, so expiry looks at the front only).
 */
export class QueueConsumerHandle implements QueueConsumer {
  readonly id: string;
  readonly topic: string;
  readonly subscription: string;
  readonly sequence: number;
  /** Mixed into key hashes (rendezvous hashing in key_shared). */
  readonly seed: number;
  prefetch: number;
  readonly ackTimeoutMs: number;
  inFlightCount = 0;
  readonly deadlines = new Deque<InFlight>();
  outbox: QueueMessage[] = [];
  private closed = false;
  private readonly owner: ConsumerOwner;
  private readonly deliver: (messages: QueueMessage[]) => void;
  private readonly closeListener: ((reason: string) => void) | undefined;

  constructor(owner: ConsumerOwner, settings: ConsumerSettings) {
    this.owner = owner;
    this.id = settings.id;
    this.topic = settings.topic;
    this.subscription = settings.subscription;
    this.prefetch = settings.prefetch;
    this.ackTimeoutMs = settings.ackTimeoutMs;
    this.sequence = settings.sequence;
    this.seed = hashString(settings.id);
    this.deliver = settings.onDeliver;
    this.closeListener = settings.onClose;
  }

  get inFlight(): number {
    return this.inFlightCount;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get credit(): number {
    return this.closed ? 0 : this.prefetch - this.inFlightCount;
  }

  ack(partition: number, offsets: ArrayLike<number>): Promise<void> {
    return this.owner.ack(this, partition, offsets);
  }

  nack(partition: number, offsets: ArrayLike<number>, delayMs?: number): void {
    this.owner.nack(this, partition, offsets, delayMs);
  }

  extendDeadline(partition: number, offsets: ArrayLike<number>, extendMs: number): void {
    this.owner.extendDeadline(this, partition, offsets, extendMs);
  }

  setPrefetch(prefetch: number): void {
    this.owner.setPrefetch(this, prefetch);
  }

  close(): Promise<void> {
    return this.owner.removeConsumer(this, 'closed by the consumer');
  }

  /** Hands the assembled batch to the session. A throwing callback is the session's bug: the
   *  caller closes the consumer. */
  flush(): void {
    if (this.outbox.length === 0 || this.closed) return;
    const batch = this.outbox;
    this.outbox = [];
    this.deliver(batch);
  }

  /** Marks the handle closed (the subscription has already taken its records back). */
  markClosed(reason: string, notify: boolean): void {
    if (this.closed) return;
    this.closed = true;
    this.outbox = [];
    if (notify && this.closeListener !== undefined) {
      try {
        this.closeListener(reason);
      } catch {
        // A session's close listener failing must not stop the broker closing others.
      }
    }
  }
}

/** FNV-1a of a string: a stable 32-bit seed per consumer id. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
