import { ErrorCode, FerryError, toFerryError } from '../../common/errors.ts';
import type { Logger } from '../../common/logger.ts';

/** Kafka's error codes used by this adapter (org.apache.kafka.common.protocol.Errors). */
export const KafkaErrorCode = {
  UNKNOWN_SERVER_ERROR: -1,
  NONE: 0,
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  LEADER_NOT_AVAILABLE: 5,
  NOT_LEADER_OR_FOLLOWER: 6,
  REQUEST_TIMED_OUT: 7,
  MESSAGE_TOO_LARGE: 10,
  OFFSET_METADATA_TOO_LARGE: 12,
  NETWORK_EXCEPTION: 13,
  COORDINATOR_LOAD_IN_PROGRESS: 14,
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
  INVALID_TOPIC_EXCEPTION: 17,
  INVALID_REQUIRED_ACKS: 21,
  ILLEGAL_GENERATION: 22,
  INCONSISTENT_GROUP_PROTOCOL: 23,
  INVALID_GROUP_ID: 24,
  UNKNOWN_MEMBER_ID: 25,
  INVALID_SESSION_TIMEOUT: 26,
  REBALANCE_IN_PROGRESS: 27,
  UNSUPPORTED_VERSION: 35,
  TOPIC_ALREADY_EXISTS: 36,
  INVALID_PARTITIONS: 37,
  INVALID_REPLICATION_FACTOR: 38,
  INVALID_REPLICA_ASSIGNMENT: 39,
  INVALID_CONFIG: 40,
  INVALID_REQUEST: 42,
  UNSUPPORTED_FOR_MESSAGE_FORMAT: 43,
  POLICY_VIOLATION: 44,
  OUT_OF_ORDER_SEQUENCE_NUMBER: 45,
  DUPLICATE_SEQUENCE_NUMBER: 46,
  INVALID_PRODUCER_EPOCH: 47,
  KAFKA_STORAGE_ERROR: 56,
  UNKNOWN_PRODUCER_ID: 59,
  NON_EMPTY_GROUP: 68,
  GROUP_ID_NOT_FOUND: 69,
  FETCH_SESSION_ID_NOT_FOUND: 70,
  TOPIC_DELETION_DISABLED: 73,
  FENCED_LEADER_EPOCH: 74,
  UNKNOWN_LEADER_EPOCH: 75,
  UNSUPPORTED_COMPRESSION_TYPE: 76,
  MEMBER_ID_REQUIRED: 79,
  GROUP_MAX_SIZE_REACHED: 81,
  FENCED_INSTANCE_ID: 82,
  INVALID_RECORD: 87,
  UNKNOWN_TOPIC_ID: 100,
  UNSUPPORTED_ENDPOINT_TYPE: 119,
} as const;

export type KafkaErrorCode = (typeof KafkaErrorCode)[keyof typeof KafkaErrorCode];

/**
 * Ferry's error codes as Kafka clients understand them: one table, every code mapped (the
 * `Record<ErrorCode, ...>` type makes a new Ferry code a compile error here until it is mapped).
 * Choices where Kafka has no exact match:
 * - PARTITION_OFFLINE, STORAGE_ERROR, DISK_FULL: KAFKA_STORAGE_ERROR, which Kafka answers when a
 *   log directory is offline; clients retry it after a metadata refresh.
 * - LOG_CLOSED, CONNECTION_CLOSED: NOT_LEADER_OR_FOLLOWER, so clients refresh metadata and retry
 *   (a partition closing during shutdown or a move).
 * - TOO_MANY_GROUPS: POLICY_VIOLATION, a final refusal (retrying would not help).
 * - FRAME_TOO_LARGE, TOO_MANY_CONNECTIONS: connection-level, never in a response body; mapped
 *   for completeness.
 */
const TO_KAFKA: Readonly<Record<ErrorCode, KafkaErrorCode>> = {
  [ErrorCode.CORRUPT_MESSAGE]: KafkaErrorCode.CORRUPT_MESSAGE,
  [ErrorCode.INVALID_RECORD]: KafkaErrorCode.INVALID_RECORD,
  [ErrorCode.MESSAGE_TOO_LARGE]: KafkaErrorCode.MESSAGE_TOO_LARGE,
  [ErrorCode.UNSUPPORTED_COMPRESSION]: KafkaErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
  [ErrorCode.OFFSET_OUT_OF_RANGE]: KafkaErrorCode.OFFSET_OUT_OF_RANGE,
  [ErrorCode.PARTITION_OFFLINE]: KafkaErrorCode.KAFKA_STORAGE_ERROR,
  [ErrorCode.STORAGE_ERROR]: KafkaErrorCode.KAFKA_STORAGE_ERROR,
  [ErrorCode.DISK_FULL]: KafkaErrorCode.KAFKA_STORAGE_ERROR,
  [ErrorCode.LOG_CLOSED]: KafkaErrorCode.NOT_LEADER_OR_FOLLOWER,
  [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]: KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  [ErrorCode.TOPIC_ALREADY_EXISTS]: KafkaErrorCode.TOPIC_ALREADY_EXISTS,
  [ErrorCode.INVALID_TOPIC]: KafkaErrorCode.INVALID_TOPIC_EXCEPTION,
  [ErrorCode.INVALID_PARTITIONS]: KafkaErrorCode.INVALID_PARTITIONS,
  [ErrorCode.INVALID_CONFIG]: KafkaErrorCode.INVALID_CONFIG,
  [ErrorCode.TOPIC_DELETION_DISABLED]: KafkaErrorCode.TOPIC_DELETION_DISABLED,
  [ErrorCode.INVALID_REQUIRED_ACKS]: KafkaErrorCode.INVALID_REQUIRED_ACKS,
  [ErrorCode.OUT_OF_ORDER_SEQUENCE]: KafkaErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
  [ErrorCode.DUPLICATE_SEQUENCE]: KafkaErrorCode.DUPLICATE_SEQUENCE_NUMBER,
  [ErrorCode.INVALID_PRODUCER_EPOCH]: KafkaErrorCode.INVALID_PRODUCER_EPOCH,
  [ErrorCode.UNKNOWN_PRODUCER_ID]: KafkaErrorCode.UNKNOWN_PRODUCER_ID,
  [ErrorCode.NOT_LEADER]: KafkaErrorCode.NOT_LEADER_OR_FOLLOWER,
  [ErrorCode.REQUEST_TIMED_OUT]: KafkaErrorCode.REQUEST_TIMED_OUT,
  [ErrorCode.INVALID_GROUP_ID]: KafkaErrorCode.INVALID_GROUP_ID,
  [ErrorCode.GROUP_ID_NOT_FOUND]: KafkaErrorCode.GROUP_ID_NOT_FOUND,
  [ErrorCode.NON_EMPTY_GROUP]: KafkaErrorCode.NON_EMPTY_GROUP,
  [ErrorCode.UNKNOWN_MEMBER_ID]: KafkaErrorCode.UNKNOWN_MEMBER_ID,
  [ErrorCode.MEMBER_ID_REQUIRED]: KafkaErrorCode.MEMBER_ID_REQUIRED,
  [ErrorCode.ILLEGAL_GENERATION]: KafkaErrorCode.ILLEGAL_GENERATION,
  [ErrorCode.REBALANCE_IN_PROGRESS]: KafkaErrorCode.REBALANCE_IN_PROGRESS,
  [ErrorCode.INCONSISTENT_GROUP_PROTOCOL]: KafkaErrorCode.INCONSISTENT_GROUP_PROTOCOL,
  [ErrorCode.INVALID_SESSION_TIMEOUT]: KafkaErrorCode.INVALID_SESSION_TIMEOUT,
  [ErrorCode.GROUP_MAX_SIZE_REACHED]: KafkaErrorCode.GROUP_MAX_SIZE_REACHED,
  [ErrorCode.FENCED_INSTANCE_ID]: KafkaErrorCode.FENCED_INSTANCE_ID,
  [ErrorCode.COORDINATOR_LOAD_IN_PROGRESS]: KafkaErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  [ErrorCode.COORDINATOR_NOT_AVAILABLE]: KafkaErrorCode.COORDINATOR_NOT_AVAILABLE,
  [ErrorCode.OFFSET_METADATA_TOO_LARGE]: KafkaErrorCode.OFFSET_METADATA_TOO_LARGE,
  [ErrorCode.TOO_MANY_GROUPS]: KafkaErrorCode.POLICY_VIOLATION,
  [ErrorCode.BACKLOG_LIMIT_EXCEEDED]: KafkaErrorCode.POLICY_VIOLATION,
  [ErrorCode.SUBSCRIPTION_NOT_FOUND]: KafkaErrorCode.INVALID_REQUEST,
  [ErrorCode.CONSUMER_BUSY]: KafkaErrorCode.INVALID_REQUEST,
  [ErrorCode.INVALID_REQUEST]: KafkaErrorCode.INVALID_REQUEST,
  [ErrorCode.UNSUPPORTED_VERSION]: KafkaErrorCode.UNSUPPORTED_VERSION,
  [ErrorCode.FRAME_TOO_LARGE]: KafkaErrorCode.INVALID_REQUEST,
  [ErrorCode.TOO_MANY_CONNECTIONS]: KafkaErrorCode.NETWORK_EXCEPTION,
  [ErrorCode.CONNECTION_CLOSED]: KafkaErrorCode.NOT_LEADER_OR_FOLLOWER,
  [ErrorCode.TIMEOUT]: KafkaErrorCode.REQUEST_TIMED_OUT,
  [ErrorCode.UNKNOWN_SERVER_ERROR]: KafkaErrorCode.UNKNOWN_SERVER_ERROR,
};

export function toKafkaErrorCode(code: ErrorCode): KafkaErrorCode {
  return TO_KAFKA[code] ?? KafkaErrorCode.UNKNOWN_SERVER_ERROR;
}

/** Kafka error code of a failure, NONE for null. */
export function kafkaErrorOf(error: FerryError | null | undefined): KafkaErrorCode {
  return error ? toKafkaErrorCode(error.code) : KafkaErrorCode.NONE;
}

export interface KafkaFailure {
  code: KafkaErrorCode;
  message: string;
}

/**
 * A failure as a response carries it. FerryErrors are expected (the broker's typed answers);
 * anything else is a bug somewhere, logged here once with the API that met it.
 */
export function kafkaFailure(error: unknown, logger: Logger, api: string): KafkaFailure {
  if (!(error instanceof FerryError)) {
    logger.error({ api, err: error instanceof Error ? error.message : String(error) }, 'kafka request failed unexpectedly');
  }
  const ferryError = toFerryError(error);
  return { code: toKafkaErrorCode(ferryError.code), message: ferryError.message };
}
