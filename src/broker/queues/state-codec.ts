import { BufferReader, BufferWriter } from '../../common/binary.ts';
import { ErrorCode, FerryError } from '../../common/errors.ts';
import type { ProducerRecord } from '../../common/record-batch.ts';
import type { StoredSubscription } from './subscription-definition.ts';
import type { TopicQueuePolicy } from './types.ts';

/**
 * Records of the internal topic `__subscriptions` (docs/queues.md, "Persistence"). Keys say what
 * a record is about; values are binary for the hot kinds (cursor deltas, written with every group
 * commit of acks) and JSON for the rare ones (definitions, policies). A null value removes.
 *
 *   key:   kind int8 | topic varint-string | subscription varint-string | partition varint
 *          (policy keys have an empty subscription and partition -1)
 *   DEFINITION value: JSON StoredSubscription
 *   POLICY value:     JSON TopicQueuePolicy
 *   SNAPSHOT value:   version int8 (0) | ackFloor varlong | deliveredMark varlong | ranges | counts
 *   DELTA value:      version int8 (0) | deliveredMark varlong (-1: unchanged) | ranges | counts
 *   ranges: count uvarint | first start varlong | length varlong | (gap varlong | length varlong)...
 *   counts: count uvarint | (offset varlong | deliveries uvarint)...  (offsets delivered twice or more)
 */
export const StateKind = { definition: 1, snapshot: 2, delta: 3, policy: 4 } as const;
export type StateKind = (typeof StateKind)[keyof typeof StateKind];

const VALUE_VERSION = 0;

export interface StateKey {
  kind: StateKind;
  topic: string;
  subscription: string;
  partition: number;
}

/** Acked offsets as half-open ranges [start, end), ascending and disjoint. */
export interface CursorState {
  ackFloor: number;
  deliveredMark: number;
  ranges: number[];
  /** offset, count, offset, count, ... */
  counts: number[];
}

export type StateRecord =
  | { key: StateKey & { kind: typeof StateKind.definition }; definition: StoredSubscription | null }
  | { key: StateKey & { kind: typeof StateKind.policy }; policy: TopicQueuePolicy | null }
  | { key: StateKey & { kind: typeof StateKind.snapshot }; state: CursorState }
  | { key: StateKey & { kind: typeof StateKind.delta }; state: CursorState };

const writer = new BufferWriter(4096);

export function encodeStateKey(key: StateKey): Buffer {
  return writer.reset().int8(key.kind).varintString(key.topic).varintString(key.subscription).varint(key.partition).toBuffer();
}

export function decodeStateKey(buf: Buffer): StateKey {
  const reader = new BufferReader(buf, ErrorCode.CORRUPT_MESSAGE);
  const kind = reader.int8();
  if (kind < StateKind.definition || kind > StateKind.policy) reader.fail(`unknown __subscriptions record kind ${kind}`);
  return { kind: kind as StateKind, topic: reader.varintString(), subscription: reader.varintString(), partition: reader.varint() };
}

/** Value of a snapshot (`deliveredMark` >= 0) or a delta (`deliveredMark` -1 when unchanged). */
export function encodeCursorState(state: CursorState, isSnapshot: boolean): Buffer {
  const w = writer.reset().int8(VALUE_VERSION);
  if (isSnapshot) w.varlong(state.ackFloor);
  w.varlong(state.deliveredMark);
  const ranges = state.ranges;
  w.uvarint(ranges.length / 2);
  let previousEnd = 0;
  for (let i = 0; i < ranges.length; i += 2) {
    w.varlong(ranges[i]! - previousEnd).varlong(ranges[i + 1]! - ranges[i]!);
    previousEnd = ranges[i + 1]!;
  }
  const counts = state.counts;
  w.uvarint(counts.length / 2);
  for (let i = 0; i < counts.length; i += 2) w.varlong(counts[i]!).uvarint(counts[i + 1]!);
  return w.toBuffer();
}

export function decodeCursorState(buf: Buffer, isSnapshot: boolean): CursorState {
  const reader = new BufferReader(buf, ErrorCode.CORRUPT_MESSAGE);
  const version = reader.int8();
  if (version !== VALUE_VERSION) reader.fail(`unknown cursor state version ${version}`);
  const ackFloor = isSnapshot ? reader.varlong() : -1;
  const deliveredMark = reader.varlong();
  const rangeCount = reader.uvarint();
  if (rangeCount * 2 > reader.remaining) reader.fail(`cursor state declares ${rangeCount} ranges`);
  const ranges: number[] = [];
  let previousEnd = 0;
  for (let i = 0; i < rangeCount; i++) {
    const start = previousEnd + reader.varlong();
    const end = start + reader.varlong();
    if (end <= start || start < previousEnd) reader.fail('cursor state ranges are not ascending');
    ranges.push(start, end);
    previousEnd = end;
  }
  const countCount = reader.uvarint();
  if (countCount * 2 > reader.remaining) reader.fail(`cursor state declares ${countCount} delivery counts`);
  const counts: number[] = [];
  for (let i = 0; i < countCount; i++) counts.push(reader.varlong(), reader.uvarint());
  return { ackFloor, deliveredMark, ranges, counts };
}

function jsonValue(value: unknown): Buffer | null {
  return value === null ? null : Buffer.from(JSON.stringify(value), 'utf8');
}

/** The record (for encodeRecordBatch) of one state change. */
export function stateRecord(record: StateRecord): ProducerRecord {
  const key = encodeStateKey(record.key);
  switch (record.key.kind) {
    case StateKind.definition:
      return { key, value: jsonValue((record as { definition: StoredSubscription | null }).definition) };
    case StateKind.policy:
      return { key, value: jsonValue((record as { policy: TopicQueuePolicy | null }).policy) };
    case StateKind.snapshot:
      return { key, value: encodeCursorState((record as { state: CursorState }).state, true) };
    case StateKind.delta:
      return { key, value: encodeCursorState((record as { state: CursorState }).state, false) };
  }
}

function parseJson(value: Buffer): unknown {
  try {
    return JSON.parse(value.toString('utf8'));
  } catch (error) {
    throw new FerryError(ErrorCode.CORRUPT_MESSAGE, `__subscriptions holds a value that is not JSON: ${(error as Error).message}`);
  }
}

/** Decodes one record of `__subscriptions`; CORRUPT_MESSAGE when it is not one of ours. */
export function decodeStateRecord(key: Buffer | null, value: Buffer | null): StateRecord {
  if (key === null) throw new FerryError(ErrorCode.CORRUPT_MESSAGE, '__subscriptions record without a key');
  const stateKey = decodeStateKey(key);
  switch (stateKey.kind) {
    case StateKind.definition:
      return {
        key: { ...stateKey, kind: StateKind.definition },
        definition: value === null ? null : (parseJson(value) as StoredSubscription),
      };
    case StateKind.policy:
      return { key: { ...stateKey, kind: StateKind.policy }, policy: value === null ? null : (parseJson(value) as TopicQueuePolicy) };
    case StateKind.snapshot:
    case StateKind.delta: {
      if (value === null) throw new FerryError(ErrorCode.CORRUPT_MESSAGE, 'cursor state record without a value');
      const isSnapshot = stateKey.kind === StateKind.snapshot;
      const state = decodeCursorState(value, isSnapshot);
      return isSnapshot
        ? { key: { ...stateKey, kind: StateKind.snapshot }, state }
        : { key: { ...stateKey, kind: StateKind.delta }, state };
    }
  }
}
