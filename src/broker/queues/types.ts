/**
 * The queue half of the broker's API (docs/queues.md): subscriptions with per-message acks over
 * the partition logs, dead letters, scheduled delivery, TTL, backlog limits and `until_acked`
 * retention. Like BrokerApi it is plain calls, no sockets: a protocol session subscribes, gets
 * deliveries pushed in batches through `onDeliver`, and drives the consumer handle with the
 * acks, nacks and deadline extensions its client sends.
 */
import type { RecordHeader } from '../../common/record-batch.ts';

// ------------------------------------------------------------------------------ subscriptions

/** `stream` subscriptions are consumer groups (BrokerApi.joinGroup); these are the queue modes. */
export type SubscriptionMode = 'shared' | 'key_shared' | 'exclusive' | 'failover';

export const SUBSCRIPTION_MODES: readonly SubscriptionMode[] = ['shared', 'key_shared', 'exclusive', 'failover'];

/** What a produce meets when a backlog limit is reached. */
export type OverflowPolicy = 'reject_publish' | 'drop_oldest' | 'dead_letter';

/** Limits on records not yet acknowledged, per partition. Absent fields are unlimited. */
export interface BacklogLimits {
  maxRecords?: number;
  /** Estimated from the partition's average stored record size. */
  maxBytes?: number;
  /** Default `reject_publish`. */
  overflow?: OverflowPolicy;
}

/** Redelivery delay after a nack without delay or an expired ack deadline: exponential with jitter. */
export interface BackoffOptions {
  minMs?: number;
  maxMs?: number;
  factor?: number;
  /** 0..1: the delay is reduced by a random share of up to this fraction. */
  jitter?: number;
}

export interface CreateSubscriptionOptions {
  mode: SubscriptionMode;
  /** Where a new subscription starts: the log start (default) or the high watermark. */
  startAt?: 'earliest' | 'latest';
  /** Default ack deadline of its consumers (a consumer may set its own). */
  ackTimeoutMs?: number;
  /** Deliveries before a record is dead-lettered; 0 never dead-letters. */
  maxDeliveries?: number;
  /** Default `<topic>.<subscription>.dlq`. */
  deadLetterTopic?: string;
  backoff?: BackoffOptions;
  /** Override the topic's queue policy limits for this subscription. */
  limits?: BacklogLimits;
}

export interface SubscriptionSummary {
  topic: string;
  name: string;
  mode: SubscriptionMode;
  consumerCount: number;
}

export interface SubscriptionPartitionState {
  partition: number;
  /** Every offset below it is acknowledged (or dropped). */
  ackFloor: number;
  highWatermark: number;
  /** Unacknowledged records: highWatermark - ackFloor - acknowledged above the floor. */
  backlog: number;
  inFlight: number;
  /** Records waiting for a redelivery (after nack or deadline), not yet due. */
  awaitingRedelivery: number;
}

export interface SubscriptionDescription {
  topic: string;
  name: string;
  mode: SubscriptionMode;
  options: Required<Omit<CreateSubscriptionOptions, 'limits' | 'backoff'>> & {
    backoff: Required<BackoffOptions>;
    limits: BacklogLimits | null;
  };
  consumers: { id: string; prefetch: number; inFlight: number; isActive: boolean }[];
  partitions: SubscriptionPartitionState[];
  backlog: number;
  inFlight: number;
  /** Redeliveries made since the broker started (nacks, expired deadlines, consumers that left). */
  redeliveries: number;
  deadLettered: number;
  /** Age of the oldest unacknowledged record (now - its timestamp), 0 when none. */
  oldestUnackedAgeMs: number;
}

// ------------------------------------------------------------------------------ consumers

/** One record handed to a consumer. Key, value and header values are views: copy to keep them
 *  beyond the delivery callback's batch if the session reuses buffers (the broker does not). */
export interface QueueMessage {
  partition: number;
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
  /** 1 on the first delivery. */
  deliveryCount: number;
}

export interface SubscribeOptions {
  /** Most unacknowledged records this consumer holds (flow control). */
  prefetch?: number;
  /** Ack deadline of this consumer's deliveries; default the subscription's. */
  ackTimeoutMs?: number;
  /** A name for describe and logs; default generated. */
  consumerId?: string;
  /** Called with each batch of deliveries, synchronously from the dispatcher. Must not throw;
   *  a throw closes the consumer (its records go back to the queue). */
  onDeliver(messages: QueueMessage[]): void;
  /** Called once when the broker ends the consumer (subscription or topic deleted, broker closing). */
  onClose?(reason: string): void;
  /** Default true: a missing subscription is created (with `create`); false: SUBSCRIPTION_NOT_FOUND. */
  createIfMissing?: boolean;
  /** Options of the subscription when this call creates it. */
  create?: Omit<CreateSubscriptionOptions, 'mode'>;
}

/**
 * A consumer of a subscription, driven by one protocol session. Offsets are per partition.
 * Acks are durable when the returned promise resolves (group commit); nack and extend are not
 * persisted (a restart redelivers whatever is not acked anyway).
 */
export interface QueueConsumer {
  readonly id: string;
  readonly topic: string;
  readonly subscription: string;
  /** Records delivered and not yet acked or nacked. */
  readonly inFlight: number;
  readonly isClosed: boolean;
  ack(partition: number, offsets: ArrayLike<number>): Promise<void>;
  /** Back to the queue, redelivered after `delayMs` (default: the subscription's backoff). */
  nack(partition: number, offsets: ArrayLike<number>, delayMs?: number): void;
  /** Moves the ack deadline of these in-flight records to `extendMs` from now. */
  extendDeadline(partition: number, offsets: ArrayLike<number>, extendMs: number): void;
  /** Changes the prefetch (e.g. the client's receive window). */
  setPrefetch(prefetch: number): void;
  /** Leaves: in-flight records return to the queue at once. */
  close(): Promise<void>;
}

// ------------------------------------------------------------------------------ topic policy

/** Queue behaviour of a topic, persisted with the subscription state. */
export interface TopicQueuePolicy {
  /** Records older than this (from their timestamp, or their delivery time) are not delivered. */
  ttlMs?: number;
  /** What happens to an expired record: dropped (default) or dead-lettered. Also applies to
   *  records expired by their own `ferry-ttl-ms` / `ferry-expires-at` headers. */
  ttlAction?: 'drop' | 'dead_letter';
  /** Limits for every subscription of the topic (a subscription's own limits override them);
   *  with no subscriptions, the records kept in the log. */
  limits?: BacklogLimits;
  /** `until_acked`: segments are deleted once every subscription has acknowledged past them
   *  (time and size retention are switched off for the topic). Default `log`: the topic config's. */
  retention?: 'log' | 'until_acked';
}

// ------------------------------------------------------------------------------ dead letters

export interface ReplayDeadLettersOptions {
  /** Most records moved back in this call; default all. */
  maxRecords?: number;
}

export interface ReplayDeadLettersResult {
  deadLetterTopic: string;
  replayed: number;
}

// ------------------------------------------------------------------------------ schedule

export interface ScheduleStats {
  /** Scheduled records not yet delivered. */
  pending: number;
  /** Of those, held in memory by the timing wheel (due soon). */
  inWheel: number;
  delivered: number;
  /** Lateness of recent deliveries (delivered at - due), ms. */
  latenessP50Ms: number;
  latenessP99Ms: number;
  latenessMaxMs: number;
}

// ------------------------------------------------------------------------------ the API

export interface QueueApi {
  /** Creates a subscription (and nothing else). An existing one with the same mode is returned
   *  unchanged; a different mode is INVALID_REQUEST. */
  createSubscription(topic: string, name: string, options: CreateSubscriptionOptions): Promise<SubscriptionDescription>;
  /** Ends its consumers and forgets its state. SUBSCRIPTION_NOT_FOUND when missing. */
  deleteSubscription(topic: string, name: string): Promise<void>;
  listSubscriptions(topic?: string): SubscriptionSummary[];
  describeSubscription(topic: string, name: string): Promise<SubscriptionDescription>;
  /**
   * Adds a consumer. `exclusive`: a second consumer is CONSUMER_BUSY. `failover`: the first
   * consumer is active, the others wait in order. The mode must match the subscription's.
   */
  subscribe(topic: string, name: string, mode: SubscriptionMode, options: SubscribeOptions): Promise<QueueConsumer>;
  /** Moves dead letters of the subscription back to their original topic and partition. */
  replayDeadLetters(topic: string, name: string, options?: ReplayDeadLettersOptions): Promise<ReplayDeadLettersResult>;
  setTopicQueuePolicy(topic: string, policy: TopicQueuePolicy): Promise<TopicQueuePolicy>;
  topicQueuePolicy(topic: string): TopicQueuePolicy;
  scheduleStats(): ScheduleStats;
}
