/**
 * Fixed numbers of Ferry's native protocol (docs/native-protocol.md). Changing any of them is a
 * wire break: add new values, never renumber.
 */

/** `FERY` in ASCII: the first field of Hello, so a stray HTTP or Kafka client is told apart. */
export const HELLO_MAGIC = 0x46455259;

/** Protocol versions this build speaks; Hello picks the highest both sides accept. */
export const MIN_PROTOCOL_VERSION = 1;
export const MAX_PROTOCOL_VERSION = 2;
/** Protocol v2 adds queue subscriptions and the push frames that deliver them. A v1 connection
 *  never receives a push, so the queue consumer APIs refuse to run on one. */
export const QUEUE_PROTOCOL_VERSION = 2;

/** Bytes of the length prefix (uint32, counts the header and the body). */
export const LENGTH_PREFIX_BYTES = 4;
/** frameType u8 | apiKey u16 | apiVersion u16 | correlationId u32 | flags u8 */
export const FRAME_HEADER_BYTES = 10;

export const FrameType = {
  request: 1,
  response: 2,
  /** Server-initiated, correlation id 0 (queue deliveries, protocol v2; none in v1). */
  push: 3,
  /** A connection-level fault; the server closes the connection after sending it. */
  error: 4,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export const FrameFlag = {
  /** Request: the client expects no response (produce with acks 0). */
  noResponse: 0x01,
} as const;

/** One number per API. Gaps are fine; reuse is not. */
export const ApiKey = {
  hello: 0,
  metadata: 1,
  createTopics: 10,
  deleteTopics: 11,
  listTopics: 12,
  describeTopic: 13,
  createPartitions: 14,
  alterTopicConfig: 15,
  brokerConfig: 16,
  produce: 20,
  fetch: 21,
  listOffsets: 22,
  initProducerId: 23,
  deleteRecords: 24,
  joinGroup: 30,
  syncGroup: 31,
  heartbeat: 32,
  leaveGroup: 33,
  commitOffsets: 34,
  fetchOffsets: 35,
  listGroups: 36,
  describeGroup: 37,
  deleteGroups: 38,
  createSubscription: 40,
  deleteSubscription: 41,
  listSubscriptions: 42,
  describeSubscription: 43,
  subscribe: 44,
  unsubscribe: 45,
  ack: 46,
  nack: 47,
  extendDeadline: 48,
  setPrefetch: 49,
  replayDeadLetters: 50,
  setTopicQueuePolicy: 51,
  describeTopicQueuePolicy: 52,
} as const;
export type ApiKey = (typeof ApiKey)[keyof typeof ApiKey];

/** The `apiKey` field of push frames (type 3, correlation id 0) says what the push carries. */
export const PushKey = {
  /** A batch of queue deliveries for one consumer handle. */
  queueDelivery: 1,
  /** The broker ended a consumer handle (subscription deleted, broker closing, ...). */
  queueConsumerClosed: 2,
} as const;
export type PushKey = (typeof PushKey)[keyof typeof PushKey];

export function apiName(apiKey: number): string {
  for (const [name, key] of Object.entries(ApiKey)) if (key === apiKey) return name;
  return `unknown(${apiKey})`;
}
