import { toFerryError } from '../../common/errors.ts';
import type { Group } from './group.ts';
import { encodeOffsetsBatch, type OffsetsRecord } from './offsets-batch.ts';
import {
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  type OffsetCommitValue,
} from './offsets-codec.ts';
import type { OffsetsLog } from './offsets-log.ts';

/** Appends records to the offsets log as one batch per call, and remembers the appends in
 *  flight so that `close()` can wait for them before the broker closes the log under them. */
export class OffsetsWriter {
  private readonly log: OffsetsLog;
  private readonly now: () => number;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(log: OffsetsLog, now: () => number) {
    this.log = log;
    this.now = now;
  }

  async append(records: readonly OffsetsRecord[]): Promise<void> {
    if (records.length === 0) return;
    const batch = encodeOffsetsBatch(records, this.now());
    const append = this.log.append(batch);
    this.inFlight.add(append);
    try {
      await append;
    } catch (error) {
      throw toFerryError(error);
    } finally {
      this.inFlight.delete(append);
    }
  }

  /** Resolves once every append started so far has settled (successfully or not). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }
}

export function offsetCommitRecord(
  groupId: string,
  topic: string,
  partition: number,
  value: Omit<OffsetCommitValue, 'expireTimestampMs'>,
): OffsetsRecord {
  return { key: encodeOffsetCommitKey(groupId, topic, partition), value: encodeOffsetCommitValue(value) };
}

export function offsetTombstone(groupId: string, topic: string, partition: number): OffsetsRecord {
  return { key: encodeOffsetCommitKey(groupId, topic, partition), value: null };
}

/** The group as Kafka stores it after a rebalance: members with their subscription for the
 *  chosen protocol and their assignment (`assignments` when given, else the current one). */
export function groupMetadataRecord(group: Group, assignments?: ReadonlyMap<string, Buffer>): OffsetsRecord {
  const members = [...group.members.values()].map((member) => ({
    memberId: member.memberId,
    groupInstanceId: member.groupInstanceId,
    clientId: member.clientId,
    clientHost: member.clientHost,
    rebalanceTimeoutMs: member.rebalanceTimeoutMs,
    sessionTimeoutMs: member.sessionTimeoutMs,
    subscription: member.metadataFor(group.protocolName),
    assignment: assignments?.get(member.memberId) ?? member.assignment,
  }));
  const value = encodeGroupMetadataValue({
    protocolType: group.protocolType ?? '',
    generationId: group.generationId,
    protocolName: group.protocolName,
    leaderId: group.leaderId,
    currentStateTimestampMs: group.stateTimestampMs,
    members,
  });
  return { key: encodeGroupMetadataKey(group.groupId), value };
}

export function groupTombstone(groupId: string): OffsetsRecord {
  return { key: encodeGroupMetadataKey(groupId), value: null };
}
