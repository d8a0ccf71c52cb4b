import { ErrorCode } from '../../common/errors.ts';

/**
 * The one table from Ferry's stable error codes to the native protocol's uint16 (0 = no error).
 * Numbers are part of the wire format: append new codes at the end, never renumber or reuse.
 * A code this build does not know decodes as UNKNOWN_SERVER_ERROR (a newer server talking to an
 * older client still yields a typed error).
 */
export const NO_ERROR = 0;

const WIRE_CODES: Readonly<Record<ErrorCode, number>> = {
  UNKNOWN_SERVER_ERROR: 1,
  CORRUPT_MESSAGE: 2,
  INVALID_RECORD: 3,
  MESSAGE_TOO_LARGE: 4,
  UNSUPPORTED_COMPRESSION: 5,
  OFFSET_OUT_OF_RANGE: 6,
  PARTITION_OFFLINE: 7,
  STORAGE_ERROR: 8,
  DISK_FULL: 9,
  LOG_CLOSED: 10,
  UNKNOWN_TOPIC_OR_PARTITION: 11,
  TOPIC_ALREADY_EXISTS: 12,
  INVALID_TOPIC: 13,
  INVALID_PARTITIONS: 14,
  INVALID_CONFIG: 15,
  TOPIC_DELETION_DISABLED: 16,
  INVALID_REQUIRED_ACKS: 17,
  OUT_OF_ORDER_SEQUENCE: 18,
  DUPLICATE_SEQUENCE: 19,
  INVALID_PRODUCER_EPOCH: 20,
  UNKNOWN_PRODUCER_ID: 21,
  NOT_LEADER: 22,
  REQUEST_TIMED_OUT: 23,
  INVALID_GROUP_ID: 24,
  GROUP_ID_NOT_FOUND: 25,
  NON_EMPTY_GROUP: 26,
  UNKNOWN_MEMBER_ID: 27,
  MEMBER_ID_REQUIRED: 28,
  ILLEGAL_GENERATION: 29,
  REBALANCE_IN_PROGRESS: 30,
  INCONSISTENT_GROUP_PROTOCOL: 31,
  INVALID_SESSION_TIMEOUT: 32,
  GROUP_MAX_SIZE_REACHED: 33,
  FENCED_INSTANCE_ID: 34,
  COORDINATOR_LOAD_IN_PROGRESS: 35,
  INVALID_REQUEST: 36,
  UNSUPPORTED_VERSION: 37,
  FRAME_TOO_LARGE: 38,
  TOO_MANY_CONNECTIONS: 39,
  CONNECTION_CLOSED: 40,
  TIMEOUT: 41,
  COORDINATOR_NOT_AVAILABLE: 42,
  OFFSET_METADATA_TOO_LARGE: 43,
  TOO_MANY_GROUPS: 44,
  BACKLOG_LIMIT_EXCEEDED: 45,
  SUBSCRIPTION_NOT_FOUND: 46,
  CONSUMER_BUSY: 47,
};

const BY_WIRE: ReadonlyMap<number, ErrorCode> = new Map(
  (Object.entries(WIRE_CODES) as [ErrorCode, number][]).map(([code, wire]) => [wire, code]),
);

export function errorCodeToWire(code: ErrorCode): number {
  return WIRE_CODES[code] ?? WIRE_CODES.UNKNOWN_SERVER_ERROR;
}

/** `null` for 0; unknown numbers map to UNKNOWN_SERVER_ERROR. */
export function errorCodeFromWire(wire: number): ErrorCode | null {
  if (wire === NO_ERROR) return null;
  return BY_WIRE.get(wire) ?? ErrorCode.UNKNOWN_SERVER_ERROR;
}

/** Every code with its number, for docs and tests. */
export function wireCodeTable(): readonly { code: ErrorCode; wire: number }[] {
  return (Object.entries(WIRE_CODES) as [ErrorCode, number][]).map(([code, wire]) => ({ code, wire })).sort((a, b) => a.wire - b.wire);
}
