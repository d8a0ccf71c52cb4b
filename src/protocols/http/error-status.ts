import { type ErrorCode, ErrorCode as Code } from '../../common/errors.ts';

/**
 * The one table from Ferry's error codes to HTTP statuses, so every route (admin, alerts,
 * metrics) answers the same fault with the same status. A code missing here is a 500: a new
 * code added elsewhere is safe by default and shows up as a server error until mapped.
 */
const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  [Code.UNKNOWN_TOPIC_OR_PARTITION]: 404,
  [Code.GROUP_ID_NOT_FOUND]: 404,
  [Code.SUBSCRIPTION_NOT_FOUND]: 404,
  [Code.UNKNOWN_MEMBER_ID]: 404,
  [Code.UNKNOWN_PRODUCER_ID]: 404,
  [Code.TOPIC_ALREADY_EXISTS]: 409,
  [Code.NON_EMPTY_GROUP]: 409,
  [Code.CONSUMER_BUSY]: 409,
  [Code.REBALANCE_IN_PROGRESS]: 409,
  [Code.ILLEGAL_GENERATION]: 409,
  [Code.FENCED_INSTANCE_ID]: 409,
  [Code.INVALID_PRODUCER_EPOCH]: 409,
  [Code.OUT_OF_ORDER_SEQUENCE]: 409,
  [Code.DUPLICATE_SEQUENCE]: 409,
  [Code.INCONSISTENT_GROUP_PROTOCOL]: 409,
  [Code.CORRUPT_MESSAGE]: 400,
  [Code.INVALID_RECORD]: 400,
  [Code.UNSUPPORTED_COMPRESSION]: 400,
  [Code.OFFSET_OUT_OF_RANGE]: 400,
  [Code.INVALID_TOPIC]: 400,
  [Code.INVALID_PARTITIONS]: 400,
  [Code.INVALID_CONFIG]: 400,
  [Code.INVALID_REQUIRED_ACKS]: 400,
  [Code.INVALID_GROUP_ID]: 400,
  [Code.INVALID_SESSION_TIMEOUT]: 400,
  [Code.MEMBER_ID_REQUIRED]: 400,
  [Code.OFFSET_METADATA_TOO_LARGE]: 400,
  [Code.INVALID_REQUEST]: 400,
  [Code.UNSUPPORTED_VERSION]: 400,
  [Code.MESSAGE_TOO_LARGE]: 413,
  [Code.FRAME_TOO_LARGE]: 413,
  [Code.TOPIC_DELETION_DISABLED]: 403,
  [Code.BACKLOG_LIMIT_EXCEEDED]: 429,
  [Code.TOO_MANY_CONNECTIONS]: 429,
  [Code.TOO_MANY_GROUPS]: 429,
  [Code.GROUP_MAX_SIZE_REACHED]: 429,
  [Code.NOT_LEADER]: 503,
  [Code.PARTITION_OFFLINE]: 503,
  [Code.COORDINATOR_LOAD_IN_PROGRESS]: 503,
  [Code.COORDINATOR_NOT_AVAILABLE]: 503,
  [Code.LOG_CLOSED]: 503,
  [Code.CONNECTION_CLOSED]: 503,
  [Code.DISK_FULL]: 507,
  [Code.REQUEST_TIMED_OUT]: 504,
  [Code.TIMEOUT]: 504,
};

export function httpStatusFor(code: ErrorCode): number {
  return STATUS_BY_CODE[code] ?? 500;
}
