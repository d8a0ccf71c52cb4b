/**
 * Ferry's one error type. Every layer throws `FerryError` with a stable `code`; each protocol
 * maps codes to its own error replies in one table (e.g. protocols/kafka/error-codes.ts).
 * Codes never change meaning once released: clients and docs depend on them.
 */
export const ErrorCode = {
  // storage and records
  CORRUPT_MESSAGE: 'CORRUPT_MESSAGE',
  INVALID_RECORD: 'INVALID_RECORD',
  MESSAGE_TOO_LARGE: 'MESSAGE_TOO_LARGE',
  UNSUPPORTED_COMPRESSION: 'UNSUPPORTED_COMPRESSION',
  OFFSET_OUT_OF_RANGE: 'OFFSET_OUT_OF_RANGE',
  PARTITION_OFFLINE: 'PARTITION_OFFLINE',
  STORAGE_ERROR: 'STORAGE_ERROR',
  DISK_FULL: 'DISK_FULL',
  LOG_CLOSED: 'LOG_CLOSED',
  // topics
  UNKNOWN_TOPIC_OR_PARTITION: 'UNKNOWN_TOPIC_OR_PARTITION',
  TOPIC_ALREADY_EXISTS: 'TOPIC_ALREADY_EXISTS',
  INVALID_TOPIC: 'INVALID_TOPIC',
  INVALID_PARTITIONS: 'INVALID_PARTITIONS',
  INVALID_CONFIG: 'INVALID_CONFIG',
  TOPIC_DELETION_DISABLED: 'TOPIC_DELETION_DISABLED',
  // produce
  INVALID_REQUIRED_ACKS: 'INVALID_REQUIRED_ACKS',
  OUT_OF_ORDER_SEQUENCE: 'OUT_OF_ORDER_SEQUENCE',
  DUPLICATE_SEQUENCE: 'DUPLICATE_SEQUENCE',
  INVALID_PRODUCER_EPOCH: 'INVALID_PRODUCER_EPOCH',
  UNKNOWN_PRODUCER_ID: 'UNKNOWN_PRODUCER_ID',
  NOT_LEADER: 'NOT_LEADER',
  REQUEST_TIMED_OUT: 'REQUEST_TIMED_OUT',
  // consumer groups
  INVALID_GROUP_ID: 'INVALID_GROUP_ID',
  GROUP_ID_NOT_FOUND: 'GROUP_ID_NOT_FOUND',
  NON_EMPTY_GROUP: 'NON_EMPTY_GROUP',
  UNKNOWN_MEMBER_ID: 'UNKNOWN_MEMBER_ID',
  MEMBER_ID_REQUIRED: 'MEMBER_ID_REQUIRED',
  ILLEGAL_GENERATION: 'ILLEGAL_GENERATION',
  REBALANCE_IN_PROGRESS: 'REBALANCE_IN_PROGRESS',
  INCONSISTENT_GROUP_PROTOCOL: 'INCONSISTENT_GROUP_PROTOCOL',
  INVALID_SESSION_TIMEOUT: 'INVALID_SESSION_TIMEOUT',
  GROUP_MAX_SIZE_REACHED: 'GROUP_MAX_SIZE_REACHED',
  FENCED_INSTANCE_ID: 'FENCED_INSTANCE_ID',
  COORDINATOR_LOAD_IN_PROGRESS: 'COORDINATOR_LOAD_IN_PROGRESS',
  /** The coordinator is shutting down or the group is being removed: look it up again, retry. */
  COORDINATOR_NOT_AVAILABLE: 'COORDINATOR_NOT_AVAILABLE',
  /** A committed offset's metadata string is above `offsetMetadataMaxBytes` (Kafka's code 12). */
  OFFSET_METADATA_TOO_LARGE: 'OFFSET_METADATA_TOO_LARGE',
  /** The coordinator holds `groupMaxCount` groups already: a new group id is refused. */
  TOO_MANY_GROUPS: 'TOO_MANY_GROUPS',
  // queues (shared subscriptions, scheduled delivery, backlog limits)
  /** A topic's or subscription's backlog limit with overflow policy `reject_publish` is reached:
   *  back off and retry once consumers catch up. */
  BACKLOG_LIMIT_EXCEEDED: 'BACKLOG_LIMIT_EXCEEDED',
  /** No subscription of that name on that topic. */
  SUBSCRIPTION_NOT_FOUND: 'SUBSCRIPTION_NOT_FOUND',
  /** An `exclusive` subscription already has its consumer, or the subscription's consumer limit is reached. */
  CONSUMER_BUSY: 'CONSUMER_BUSY',
  // protocol and connections
  INVALID_REQUEST: 'INVALID_REQUEST',
  UNSUPPORTED_VERSION: 'UNSUPPORTED_VERSION',
  FRAME_TOO_LARGE: 'FRAME_TOO_LARGE',
  TOO_MANY_CONNECTIONS: 'TOO_MANY_CONNECTIONS',
  CONNECTION_CLOSED: 'CONNECTION_CLOSED',
  TIMEOUT: 'TIMEOUT',
  // anything else
  UNKNOWN_SERVER_ERROR: 'UNKNOWN_SERVER_ERROR',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Codes a client may retry after a back-off; everything else is final for that request. */
const RETRIABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCode.NOT_LEADER,
  ErrorCode.REQUEST_TIMED_OUT,
  ErrorCode.REBALANCE_IN_PROGRESS,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.CONNECTION_CLOSED,
  ErrorCode.TIMEOUT,
  ErrorCode.PARTITION_OFFLINE,
  ErrorCode.DISK_FULL,
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.BACKLOG_LIMIT_EXCEEDED,
]);

export class FerryError extends Error {
  readonly code: ErrorCode;
  /** Extra facts for logs and error replies (offsets, sizes, file names). Never secrets. */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: ErrorOptions) {
    super(message, options);
    this.name = 'FerryError';
    this.code = code;
    this.details = details;
  }

  get isRetriable(): boolean {
    return RETRIABLE.has(this.code);
  }
}

export function isFerryError(error: unknown): error is FerryError {
  return error instanceof FerryError;
}

export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(ErrorCode, value);
}

/** Wraps anything thrown at a layer boundary so callers always see a FerryError. */
export function toFerryError(error: unknown, fallback: ErrorCode = ErrorCode.UNKNOWN_SERVER_ERROR): FerryError {
  if (error instanceof FerryError) return error;
  const errno = (error as NodeJS.ErrnoException | undefined)?.code;
  if (errno === 'ENOSPC' || errno === 'EDQUOT') {
    return new FerryError(ErrorCode.DISK_FULL, `disk full: ${(error as Error).message}`, undefined, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new FerryError(fallback, message, undefined, { cause: error });
}
