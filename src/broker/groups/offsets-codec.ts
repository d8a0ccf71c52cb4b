import { ErrorCode, FerryError } from '../../common/errors.ts';
import { readInt64, writeInt64 } from '../../common/record-batch-header.ts';

/**
 * Keys and values of the `__consumer_offsets` records, in Kafka's own binary formats (the
 * non-flexible versions a Kafka 3.x broker writes). Kafka's formats rather than a JSON of our own
 * because the topic is readable by Kafka clients through the Kafka adapter, and tools that decode
 * it (kcat, `kafka-console-consumer --formatter ...OffsetsMessageFormatter`, Kafka UIs) then work
 * unchanged; they are also compact and fixed by a published schema.
 *
 * Every key starts with an int16 version that says what the record is:
 *   0, 1  OffsetCommitKey:    group string, topic string, partition int32       (written: 1)
 *   2     GroupMetadataKey:   group string
 * Values (null value = tombstone: the key is deleted):
 *   OffsetCommitValue v0-v3: offset int64, [v3+ leaderEpoch int32], metadata string,
 *                            commitTimestamp int64, [v1 expireTimestamp int64]  (written: 3)
 *   GroupMetadataValue v0-v3: protocolType string, generation int32, protocol string?, leader string?,
 *                            [v2+ currentStateTimestamp int64], members [memberId string,
 *                            [v3+ groupInstanceId string?], clientId string, clientHost string,
 *                            [v1+ rebalanceTimeout int32], sessionTimeout int32, subscription bytes,
 *                            assignment bytes]                                  (written: 3)
 * Strings are int16 length + UTF-8 (-1 = null), bytes are int32 length + bytes, all big-endian.
 * Flexible versions (v4, Kafka 4) are refused as CORRUPT_MESSAGE, which load() logs and skips.
 */

export const OFFSET_COMMIT_KEY_VERSION = 1;
export const GROUP_METADATA_KEY_VERSION = 2;
export const OFFSET_COMMIT_VALUE_VERSION = 3;
export const GROUP_METADATA_VALUE_VERSION = 3;

/** Kafka strings have an int16 length: anything stored in these records must fit. */
export const MAX_STRING_BYTES = 0x7fff;

export interface OffsetCommitKey {
  kind: 'offset';
  groupId: string;
  topic: string;
  partition: number;
}

export interface GroupMetadataKey {
  kind: 'group';
  groupId: string;
}

export type OffsetsTopicKey = OffsetCommitKey | GroupMetadataKey;

export interface OffsetCommitValue {
  offset: number;
  /** -1 when unknown (values before v3 carry none). */
  leaderEpoch: number;
  metadata: string;
  commitTimestampMs: number;
  /** Only v1 carries one (per-commit retention, long gone from Kafka); -1 otherwise. */
  expireTimestampMs: number;
}

export interface StoredMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  /** The member's metadata for the group's selected protocol. */
  subscription: Buffer;
  assignment: Buffer;
}

export interface GroupMetadataValue {
  protocolType: string;
  generationId: number;
  protocolName: string | null;
  leaderId: string | null;
  /** When the group entered its current state; -1 when unknown (values before v2). */
  currentStateTimestampMs: number;
  members: StoredMember[];
}

// ---------------------------------------------------------------------------------- encoding

/** Sizes first, then one allocation: these records are small and written once per commit. */
class Writer {
  private readonly buf: Buffer;
  private at = 0;

  constructor(sizeBytes: number) {
    this.buf = Buffer.allocUnsafe(sizeBytes);
  }

  int16(value: number): this {
    this.at = this.buf.writeInt16BE(value, this.at);
    return this;
  }
  int32(value: number): this {
    this.at = this.buf.writeInt32BE(value, this.at);
    return this;
  }
  int64(value: number): this {
    writeInt64(this.buf, value, this.at);
    this.at += 8;
    return this;
  }
  string(value: string | null): this {
    if (value === null) return this.int16(-1);
    this.int16(Buffer.byteLength(value, 'utf8'));
    this.at += this.buf.write(value, this.at, 'utf8');
    return this;
  }
  bytes(value: Buffer): this {
    this.int32(value.length);
    this.at += value.copy(this.buf, this.at);
    return this;
  }
  done(): Buffer {
    if (this.at !== this.buf.length) throw new FerryError(ErrorCode.UNKNOWN_SERVER_ERROR, 'offsets codec sized a record wrongly');
    return this.buf;
  }
}

function stringBytes(value: string | null, field: string): number {
  if (value === null) return 2;
  const length = Buffer.byteLength(value, 'utf8');
  if (length > MAX_STRING_BYTES) {
    throw new FerryError(ErrorCode.INVALID_REQUEST, `${field} is ${length} bytes, at most ${MAX_STRING_BYTES} fit`, { field, length });
  }
  return 2 + length;
}

export function encodeOffsetCommitKey(groupId: string, topic: string, partition: number): Buffer {
  const size = 2 + stringBytes(groupId, 'group id') + stringBytes(topic, 'topic') + 4;
  return new Writer(size).int16(OFFSET_COMMIT_KEY_VERSION).string(groupId).string(topic).int32(partition).done();
}

export function encodeGroupMetadataKey(groupId: string): Buffer {
  return new Writer(2 + stringBytes(groupId, 'group id')).int16(GROUP_METADATA_KEY_VERSION).string(groupId).done();
}

export function encodeOffsetCommitValue(value: Omit<OffsetCommitValue, 'expireTimestampMs'>): Buffer {
  const size = 2 + 8 + 4 + stringBytes(value.metadata, 'offset metadata') + 8;
  return new Writer(size)
    .int16(OFFSET_COMMIT_VALUE_VERSION)
    .int64(value.offset)
    .int32(value.leaderEpoch)
    .string(value.metadata)
    .int64(value.commitTimestampMs)
    .done();
}

export function encodeGroupMetadataValue(value: GroupMetadataValue): Buffer {
  let size =
    2 +
    stringBytes(value.protocolType, 'protocol type') +
    4 +
    stringBytes(value.protocolName, 'protocol') +
    stringBytes(value.leaderId, 'leader');
  size += 8 + 4;
  for (const member of value.members) {
    size += stringBytes(member.memberId, 'member id') + stringBytes(member.groupInstanceId, 'group instance id');
    size += stringBytes(member.clientId, 'client id') + stringBytes(member.clientHost, 'client host');
    size += 4 + 4 + 4 + member.subscription.length + 4 + member.assignment.length;
  }
  const writer = new Writer(size)
    .int16(GROUP_METADATA_VALUE_VERSION)
    .string(value.protocolType)
    .int32(value.generationId)
    .string(value.protocolName)
    .string(value.leaderId)
    .int64(value.currentStateTimestampMs)
    .int32(value.members.length);
  for (const member of value.members) {
    writer
      .string(member.memberId)
      .string(member.groupInstanceId)
      .string(member.clientId)
      .string(member.clientHost)
      .int32(member.rebalanceTimeoutMs)
      .int32(member.sessionTimeoutMs)
      .bytes(member.subscription)
      .bytes(member.assignment);
  }
  return writer.done();
}

// ---------------------------------------------------------------------------------- decoding

/** Bounds-checked reads: a lying length is CORRUPT_MESSAGE, never an out-of-range read. */
class Reader {
  private readonly buf: Buffer;
  private at = 0;

  constructor(buf: Buffer) {
    this.buf = buf;
  }

  private need(bytes: number, what: string): void {
    if (bytes < 0 || this.at + bytes > this.buf.length) {
      throw new FerryError(ErrorCode.CORRUPT_MESSAGE, `__consumer_offsets record truncated reading ${what}`, {
        at: this.at,
        bytes,
        size: this.buf.length,
      });
    }
  }
  int16(what: string): number {
    this.need(2, what);
    const value = this.buf.readInt16BE(this.at);
    this.at += 2;
    return value;
  }
  int32(what: string): number {
    this.need(4, what);
    const value = this.buf.readInt32BE(this.at);
    this.at += 4;
    return value;
  }
  int64(what: string): number {
    this.need(8, what);
    const value = readInt64(this.buf, this.at);
    this.at += 8;
    return value;
  }
  nullableString(what: string): string | null {
    const length = this.int16(what);
    if (length === -1) return null;
    this.need(length, what);
    const value = this.buf.toString('utf8', this.at, this.at + length);
    this.at += length;
    return value;
  }
  string(what: string): string {
    const value = this.nullableString(what);
    if (value === null) throw new FerryError(ErrorCode.CORRUPT_MESSAGE, `__consumer_offsets record has a null ${what}`);
    return value;
  }
  bytes(what: string): Buffer {
    const length = this.int32(what);
    if (length === -1) return Buffer.alloc(0);
    this.need(length, what);
    // A copy: the decoded value outlives the batch buffer it came from.
    const value = Buffer.from(this.buf.subarray(this.at, this.at + length));
    this.at += length;
    return value;
  }
  remaining(): number {
    return this.buf.length - this.at;
  }
}

function unsupportedVersion(record: string, version: number): FerryError {
  return new FerryError(ErrorCode.CORRUPT_MESSAGE, `__consumer_offsets ${record} version ${version} is not supported`, { record, version });
}

export function decodeOffsetsTopicKey(buf: Buffer): OffsetsTopicKey {
  const reader = new Reader(buf);
  const version = reader.int16('key version');
  if (version === 0 || version === 1) {
    const groupId = reader.string('group id');
    const topic = reader.string('topic');
    const partition = reader.int32('partition');
    return { kind: 'offset', groupId, topic, partition };
  }
  if (version === 2) return { kind: 'group', groupId: reader.string('group id') };
  throw unsupportedVersion('key', version);
}

export function decodeOffsetCommitValue(buf: Buffer): OffsetCommitValue {
  const reader = new Reader(buf);
  const version = reader.int16('value version');
  if (version < 0 || version > 3) throw unsupportedVersion('offset commit value', version);
  const offset = reader.int64('offset');
  const leaderEpoch = version >= 3 ? reader.int32('leader epoch') : -1;
  const metadata = reader.string('metadata');
  const commitTimestampMs = reader.int64('commit timestamp');
  // v0 has a single timestamp field that v1 renamed commit_timestamp; only v1 adds an expiry.
  const expireTimestampMs = version === 1 ? reader.int64('expire timestamp') : -1;
  return { offset, leaderEpoch, metadata, commitTimestampMs, expireTimestampMs };
}

export function decodeGroupMetadataValue(buf: Buffer): GroupMetadataValue {
  const reader = new Reader(buf);
  const version = reader.int16('value version');
  if (version < 0 || version > 3) throw unsupportedVersion('group metadata value', version);
  const protocolType = reader.string('protocol type');
  const generationId = reader.int32('generation');
  const protocolName = reader.nullableString('protocol');
  const leaderId = reader.nullableString('leader');
  const currentStateTimestampMs = version >= 2 ? reader.int64('current state timestamp') : -1;
  const memberCount = reader.int32('member count');
  // Each member takes at least 18 bytes: a count larger than the bytes left is a lie.
  if (memberCount < 0 || memberCount * 18 > reader.remaining()) {
    throw new FerryError(ErrorCode.CORRUPT_MESSAGE, `__consumer_offsets group metadata claims ${memberCount} members`, { memberCount });
  }
  const members: StoredMember[] = [];
  for (let i = 0; i < memberCount; i++) {
    const memberId = reader.string('member id');
    const groupInstanceId = version >= 3 ? reader.nullableString('group instance id') : null;
    const clientId = reader.string('client id');
    const clientHost = reader.string('client host');
    const rebalanceTimeoutMs = version >= 1 ? reader.int32('rebalance timeout') : -1;
    const sessionTimeoutMs = reader.int32('session timeout');
    const subscription = reader.bytes('subscription');
    const assignment = reader.bytes('assignment');
    members.push({
      memberId,
      groupInstanceId,
      clientId,
      clientHost,
      // v0 has no rebalance timeout: Kafka used the session timeout in its place.
      rebalanceTimeoutMs: rebalanceTimeoutMs === -1 ? sessionTimeoutMs : rebalanceTimeoutMs,
      sessionTimeoutMs,
      subscription,
      assignment,
    });
  }
  return { protocolType, generationId, protocolName, leaderId, currentStateTimestampMs, members };
}
