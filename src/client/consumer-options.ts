import { ErrorCode, FerryError } from '../common/errors.ts';

/** Options of `client.consumer()`. Only `topics` is required; defaults are listed. */
export interface ConsumerOptions {
  /** Topics to read. */
  topics: readonly string[];
  /** Consumer group: partitions are shared among the group's members and progress is committed.
   *  Without it the consumer reads every partition of `topics` itself and cannot commit. */
  groupId?: string;
  /** Static membership (Kafka's group.instance.id): a restart within the session timeout keeps
   *  the assignment without a rebalance. Default none. */
  groupInstanceId?: string;
  /** Where to start when there is no committed offset (or it is out of range). Default 'latest'. */
  autoOffsetReset?: 'earliest' | 'latest';
  /** Shorthand for `autoOffsetReset: 'earliest'`. */
  fromBeginning?: boolean;
  /** Commit processed offsets every `autoCommitIntervalMs`, before a rebalance and on close.
   *  Default true. */
  autoCommit?: boolean;
  /** Default 5000. */
  autoCommitIntervalMs?: number;
  /** The group drops a member it has not heard from for this long. Default 10,000 (the broker
   *  bounds it, 6 s to 30 min by default). */
  sessionTimeoutMs?: number;
  /** Default 3000; keep it well under a third of `sessionTimeoutMs`. */
  heartbeatIntervalMs?: number;
  /** How long the coordinator waits for members to rejoin during a rebalance. Default 30,000. */
  rebalanceTimeoutMs?: number;
  /** Partition assignors offered to the group, in preference order: `'range'` (default: Kafka's
   *  default, partitions of each topic split in contiguous ranges), `'roundrobin'`,
   *  `'cooperative-sticky'`. Rebalancing is eager whichever is chosen. */
  assignors?: readonly string[];
  /** Long-poll wait of a fetch when there is nothing new. Default 500. */
  maxWaitMs?: number;
  /** A fetch returns as soon as this many bytes are available. Default 1. */
  minBytes?: number;
  /** Byte budget of one fetch answer. Default 16 MiB. */
  maxBytes?: number;
  /** Byte budget per partition per fetch (one whole batch always comes back). Default 1 MiB. */
  maxPartitionBytes?: number;
  /** Default: the client's requestTimeoutMs. */
  requestTimeoutMs?: number;
}

export interface ResolvedConsumerOptions {
  topics: readonly string[];
  groupId: string | null;
  groupInstanceId: string | null;
  autoOffsetReset: 'earliest' | 'latest';
  autoCommit: boolean;
  autoCommitIntervalMs: number;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  rebalanceTimeoutMs: number;
  assignors: readonly string[];
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  maxPartitionBytes: number;
  requestTimeoutMs: number;
}

export const KNOWN_ASSIGNORS: readonly string[] = ['range', 'roundrobin', 'cooperative-sticky'];

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new FerryError(ErrorCode.INVALID_CONFIG, `${name} must be a positive number, got ${value}`);
  return value;
}

export function resolveConsumerOptions(options: ConsumerOptions, clientRequestTimeoutMs: number): ResolvedConsumerOptions {
  if (!options.topics || options.topics.length === 0) throw new FerryError(ErrorCode.INVALID_CONFIG, 'a consumer needs at least one topic');
  const assignors = options.assignors ?? ['range'];
  for (const name of assignors) {
    if (!KNOWN_ASSIGNORS.includes(name))
      throw new FerryError(ErrorCode.INVALID_CONFIG, `unknown assignor ${name} (known: ${KNOWN_ASSIGNORS.join(', ')})`);
  }
  if (assignors.length === 0) throw new FerryError(ErrorCode.INVALID_CONFIG, 'assignors must name at least one assignor');
  if (options.groupId === '') throw new FerryError(ErrorCode.INVALID_GROUP_ID, 'groupId must not be empty');
  return {
    topics: [...new Set(options.topics)],
    groupId: options.groupId ?? null,
    groupInstanceId: options.groupInstanceId ?? null,
    autoOffsetReset: options.autoOffsetReset ?? (options.fromBeginning ? 'earliest' : 'latest'),
    autoCommit: options.autoCommit ?? true,
    autoCommitIntervalMs: positive('autoCommitIntervalMs', options.autoCommitIntervalMs ?? 5000),
    sessionTimeoutMs: positive('sessionTimeoutMs', options.sessionTimeoutMs ?? 10_000),
    heartbeatIntervalMs: positive('heartbeatIntervalMs', options.heartbeatIntervalMs ?? 3000),
    rebalanceTimeoutMs: positive('rebalanceTimeoutMs', options.rebalanceTimeoutMs ?? 30_000),
    assignors,
    maxWaitMs: Math.max(0, options.maxWaitMs ?? 500),
    minBytes: Math.max(0, options.minBytes ?? 1),
    maxBytes: positive('maxBytes', options.maxBytes ?? 16 * 1024 * 1024),
    maxPartitionBytes: positive('maxPartitionBytes', options.maxPartitionBytes ?? 1024 * 1024),
    requestTimeoutMs: positive('requestTimeoutMs', options.requestTimeoutMs ?? clientRequestTimeoutMs),
  };
}
