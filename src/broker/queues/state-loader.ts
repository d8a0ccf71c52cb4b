import { toFerryError } from '../../common/errors.ts';
import type { Logger } from '../../common/logger.ts';
import type { PartitionLog } from '../../storage/types.ts';
import { decodeMessages } from './message-reader.ts';
import { RangeSet } from './range-set.ts';
import { type CursorState, decodeStateRecord, StateKind } from './state-codec.ts';
import { isStoredSubscription, type StoredSubscription } from './subscription-definition.ts';
import type { TopicQueuePolicy } from './types.ts';

const READ_CHUNK_BYTES = 1024 * 1024;

export interface LoadedState {
  subscriptions: Map<string, StoredSubscription>;
  policies: Map<string, TopicQueuePolicy>;
  /** By cursorKey(topic, subscription, partition). */
  cursors: Map<string, CursorState>;
  records: number;
  skipped: number;
}

export function subscriptionKey(topic: string, name: string): string {
  return `${topic}\u0000${name}`;
}

export function cursorKey(topic: string, name: string, partition: number): string {
  return `${topic}\u0000${name}\u0000${partition}`;
}

interface LoadingCursor {
  ackFloor: number;
  deliveredMark: number;
  acked: RangeSet;
  counts: Map<number, number>;
}

/**
 * Replays `__subscriptions` from its log start: the last definition per subscription and policy
 * per topic win; a cursor's snapshot replaces its state and the deltas after it add acks, move the
 * delivered mark up and raise delivery counts (all idempotent, so a delta also present in a later
 * snapshot does no harm). A record that does not decode is logged and skipped.
 */
export async function loadState(log: PartitionLog, logger: Logger): Promise<LoadedState> {
  const subscriptions = new Map<string, StoredSubscription>();
  const policies = new Map<string, TopicQueuePolicy>();
  const loading = new Map<string, LoadingCursor>();
  let records = 0;
  let skipped = 0;
  const endOffset = log.highWatermark;
  let offset = log.logStartOffset;
  while (offset < endOffset) {
    const { data } = await log.read(offset, READ_CHUNK_BYTES, { maxOffset: endOffset });
    if (data.length === 0) break;
    const next = decodeMessages(data, 0, offset, endOffset, (message) => {
      records++;
      try {
        apply(decodeStateRecord(message.key, message.value));
      } catch (error) {
        skipped++;
        logger.warn({ offset: message.offset, err: toFerryError(error).message }, 'skipping an unreadable __subscriptions record');
      }
      return true;
    });
    if (next <= offset) break;
    offset = next;
  }

  function apply(record: ReturnType<typeof decodeStateRecord>): void {
    const { topic, subscription, partition } = record.key;
    switch (record.key.kind) {
      case StateKind.definition: {
        const definition = (record as { definition: StoredSubscription | null }).definition;
        const key = subscriptionKey(topic, subscription);
        // A delete (or a new definition) starts the subscription's cursors over.
        for (const name of [...loading.keys()]) if (name.startsWith(`${key}\u0000`)) loading.delete(name);
        if (definition === null) subscriptions.delete(key);
        else if (isStoredSubscription(definition)) subscriptions.set(key, definition);
        else throw new Error('subscription definition has an unexpected shape');
        return;
      }
      case StateKind.policy: {
        const policy = (record as { policy: TopicQueuePolicy | null }).policy;
        if (policy === null) policies.delete(topic);
        else policies.set(topic, policy);
        return;
      }
      case StateKind.snapshot: {
        const state = (record as { state: CursorState }).state;
        const cursor: LoadingCursor = {
          ackFloor: state.ackFloor,
          deliveredMark: state.deliveredMark,
          acked: new RangeSet(),
          counts: new Map(),
        };
        applyDelta(cursor, state);
        loading.set(cursorKey(topic, subscription, partition), cursor);
        return;
      }
      case StateKind.delta: {
        const key = cursorKey(topic, subscription, partition);
        let cursor = loading.get(key);
        if (cursor === undefined) {
          cursor = { ackFloor: 0, deliveredMark: 0, acked: new RangeSet(), counts: new Map() };
          loading.set(key, cursor);
        }
        applyDelta(cursor, (record as { state: CursorState }).state);
        return;
      }
    }
  }

  const cursors = new Map<string, CursorState>();
  for (const [key, cursor] of loading) {
    // Keep the cursors of subscriptions that still exist.
    const parts = key.split('\u0000');
    if (!subscriptions.has(subscriptionKey(parts[0]!, parts[1]!))) continue;
    cursors.set(key, finish(cursor));
  }
  return { subscriptions, policies, cursors, records, skipped };
}

function applyDelta(cursor: LoadingCursor, state: CursorState): void {
  const ranges = state.ranges;
  for (let i = 0; i < ranges.length; i += 2) cursor.acked.addRange(ranges[i]!, ranges[i + 1]!);
  if (state.deliveredMark > cursor.deliveredMark) cursor.deliveredMark = state.deliveredMark;
  const counts = state.counts;
  for (let i = 0; i < counts.length; i += 2) {
    const previous = cursor.counts.get(counts[i]!) ?? 0;
    if (counts[i + 1]! > previous) cursor.counts.set(counts[i]!, counts[i + 1]!);
  }
}

function finish(cursor: LoadingCursor): CursorState {
  const acked = cursor.acked;
  let floor = cursor.ackFloor;
  while (acked.rangeCount > 0 && acked.firstStart <= floor) {
    if (acked.firstEnd > floor) floor = acked.firstEnd;
    acked.removeBelow(floor);
  }
  const ranges: number[] = [];
  for (let i = 0; i < acked.rangeCount; i++) ranges.push(acked.startAt(i), acked.endAt(i));
  const counts: number[] = [];
  for (const [offset, count] of cursor.counts) if (offset >= floor && !acked.has(offset)) counts.push(offset, count);
  return { ackFloor: floor, deliveredMark: Math.max(cursor.deliveredMark, floor), ranges, counts };
}
