import { BufferReader, BufferWriter, type ReaderErrorCode } from './binary.ts';
import { ErrorCode, FerryError } from './errors.ts';

/**
 * Kafka's "consumer" embedded protocol: the metadata a member sends in JoinGroup
 * (ConsumerProtocolSubscription) and the assignment the leader returns through SyncGroup
 * (ConsumerProtocolAssignment), per clients/src/main/resources/common/message/ConsumerProtocol*.json.
 * Native and Kafka clients both use it, so one group can hold members of either protocol.
 *
 * Both start with an int16 version and are not flexible (classic int16/int32 lengths):
 *
 *   Subscription v0: topics [string] | userData nullable bytes
 *                v1: + ownedPartitions [topic string | partitions [int32]]
 *                v2: + generationId int32 (default -1)
 *                v3: + rackId nullable string (default null)
 *   Assignment v0-v3: assignedPartitions [topic string | partitions [int32]] | userData nullable bytes
 *
 * As Kafka does, a version above the highest known is read with the highest known layout (new
 * versions only append fields); trailing bytes are ignored for the same reason.
 */

export const CONSUMER_PROTOCOL_TYPE = 'consumer';
export const CONSUMER_PROTOCOL_MAX_VERSION = 3;

export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

export interface ConsumerSubscription {
  /** The version it was decoded from (or encoded as). */
  version: number;
  topics: string[];
  userData: Buffer | null;
  /** v1+: what the member owns now (cooperative rebalancing, sticky assignors). */
  ownedPartitions: TopicPartitions[];
  /** v2+: the generation in which it owned them; -1 unknown. */
  generationId: number;
  /** v3+: the member's rack, for rack-aware assignment. */
  rackId: string | null;
}

export interface ConsumerAssignment {
  version: number;
  assignedPartitions: TopicPartitions[];
  userData: Buffer | null;
}

export type SubscriptionInput = Pick<ConsumerSubscription, 'topics'> & Partial<Omit<ConsumerSubscription, 'topics'>>;
export type AssignmentInput = Pick<ConsumerAssignment, 'assignedPartitions'> & Partial<Omit<ConsumerAssignment, 'assignedPartitions'>>;

/** Smallest encoding of one TopicPartitions: empty topic name + empty partition list. */
const MIN_TOPIC_PARTITIONS_BYTES = 6;

function checkVersion(version: number): void {
  if (!(Number.isInteger(version) && version >= 0 && version <= CONSUMER_PROTOCOL_MAX_VERSION)) {
    throw new FerryError(ErrorCode.UNSUPPORTED_VERSION, `consumer protocol version ${version} is not supported (0-3)`, { version });
  }
}

function writeTopicPartitions(writer: BufferWriter, list: readonly TopicPartitions[]): void {
  writer.arrayLength(list.length);
  for (const entry of list) {
    writer.string(entry.topic);
    writer.arrayLength(entry.partitions.length);
    for (const partition of entry.partitions) writer.int32(partition);
  }
}

function readTopicPartitions(reader: BufferReader): TopicPartitions[] {
  const count = reader.arrayLength(MIN_TOPIC_PARTITIONS_BYTES);
  const list: TopicPartitions[] = [];
  for (let i = 0; i < count; i++) {
    const topic = reader.string();
    const partitionCount = reader.arrayLength(4);
    const partitions: number[] = [];
    for (let p = 0; p < partitionCount; p++) partitions.push(reader.int32());
    list.push({ topic, partitions });
  }
  return list;
}

/** Encodes JoinGroup metadata. Fields newer than `version` are left out. */
export function encodeSubscription(
  subscription: SubscriptionInput,
  version = subscription.version ?? CONSUMER_PROTOCOL_MAX_VERSION,
): Buffer {
  checkVersion(version);
  const writer = new BufferWriter(64);
  writer.int16(version);
  writer.arrayLength(subscription.topics.length);
  for (const topic of subscription.topics) writer.string(topic);
  writer.bytes(subscription.userData ?? null);
  if (version >= 1) writeTopicPartitions(writer, subscription.ownedPartitions ?? []);
  if (version >= 2) writer.int32(subscription.generationId ?? -1);
  if (version >= 3) writer.string(subscription.rackId ?? null);
  return writer.toBuffer();
}

/**
 * Decodes JoinGroup metadata. Malformed input is FerryError(`errorCode`, default INVALID_REQUEST:
 * it comes from a client). `userData` is a view into `buf`.
 */
export function decodeSubscription(buf: Buffer, errorCode: ReaderErrorCode = ErrorCode.INVALID_REQUEST): ConsumerSubscription {
  const reader = new BufferReader(buf, errorCode);
  const version = reader.int16();
  if (version < 0) reader.fail(`consumer subscription version ${version} is invalid`);
  const topicCount = reader.arrayLength(2);
  const topics: string[] = [];
  for (let i = 0; i < topicCount; i++) topics.push(reader.string());
  const userData = reader.nullableBytes();
  const ownedPartitions = version >= 1 ? readTopicPartitions(reader) : [];
  const generationId = version >= 2 ? reader.int32() : -1;
  const rackId = version >= 3 ? reader.nullableString() : null;
  return { version, topics, userData, ownedPartitions, generationId, rackId };
}

/** Encodes a SyncGroup assignment. The layout is the same for v0-v3; only the version differs. */
export function encodeAssignment(assignment: AssignmentInput, version = assignment.version ?? CONSUMER_PROTOCOL_MAX_VERSION): Buffer {
  checkVersion(version);
  const writer = new BufferWriter(64);
  writer.int16(version);
  writeTopicPartitions(writer, assignment.assignedPartitions);
  writer.bytes(assignment.userData ?? null);
  return writer.toBuffer();
}

/**
 * Decodes a SyncGroup assignment. An empty buffer is an empty assignment: the coordinator sends
 * one to members the leader left out. `userData` is a view into `buf`.
 */
export function decodeAssignment(buf: Buffer, errorCode: ReaderErrorCode = ErrorCode.INVALID_REQUEST): ConsumerAssignment {
  if (buf.length === 0) return { version: 0, assignedPartitions: [], userData: null };
  const reader = new BufferReader(buf, errorCode);
  const version = reader.int16();
  if (version < 0) reader.fail(`consumer assignment version ${version} is invalid`);
  const assignedPartitions = readTopicPartitions(reader);
  const userData = reader.nullableBytes();
  return { version, assignedPartitions, userData };
}
