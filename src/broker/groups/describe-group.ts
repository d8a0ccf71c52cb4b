import { CONSUMER_PROTOCOL_TYPE } from '../../common/consumer-protocol.ts';
import type { GroupDescription, GroupMemberDescription, GroupOffsetLag } from '../types.ts';
import type { Group } from './group.ts';
import type { OffsetStore } from './offset-store.ts';

/** Offsets of one partition, from the broker: where its log starts and ends. */
export interface PartitionOffsets {
  logStartOffset: number;
  logEndOffset: number;
  highWatermark: number;
}

/** The broker's view of a partition; undefined when the topic or partition does not exist. */
export type TopicInfo = (topic: string, partition: number) => PartitionOffsets | undefined;

export interface AssignedPartitions {
  topic: string;
  partitions: number[];
}

/** Decodes a `consumer` protocol assignment; throws on bytes that are not one. */
export type AssignmentDecoder = (assignment: Buffer) => AssignedPartitions[];

export function deadGroupDescription(groupId: string): GroupDescription {
  return { groupId, state: 'Dead', protocolType: '', protocolName: '', generationId: -1, leaderId: null, members: [], offsets: [] };
}

/**
 * DescribeGroups plus what `kafka-consumer-groups --describe` computes: members with their decoded
 * assignments, and per partition the committed offset and the lag. Lag is measured to the high
 * watermark, the last offset a consumer can read; with nothing committed, from the log start.
 */
export function describeGroup(
  group: Group,
  offsets: OffsetStore,
  topicInfo: TopicInfo,
  decodeAssignment: AssignmentDecoder,
): GroupDescription {
  const isConsumer = group.protocolType === CONSUMER_PROTOCOL_TYPE;
  const owners = new Map<string, Map<number, string>>();
  const members: GroupMemberDescription[] = [];
  for (const member of group.members.values()) {
    const assignedPartitions = isConsumer ? safeDecode(decodeAssignment, member.assignment) : [];
    for (const { topic, partitions } of assignedPartitions) {
      let byPartition = owners.get(topic);
      if (byPartition === undefined) owners.set(topic, (byPartition = new Map()));
      for (const partition of partitions) byPartition.set(partition, member.memberId);
    }
    members.push({
      memberId: member.memberId,
      groupInstanceId: member.groupInstanceId,
      clientId: member.clientId,
      clientHost: member.clientHost,
      metadata: member.metadataFor(group.protocolName),
      assignment: member.assignment,
      assignedPartitions,
    });
  }

  const lags: GroupOffsetLag[] = [];
  const seen = new Set<string>();
  const addLag = (topic: string, partition: number): void => {
    const id = `${topic}\u0000${partition}`;
    if (seen.has(id)) return;
    seen.add(id);
    const committedOffset = offsets.get(group.groupId, topic, partition)?.offset ?? -1;
    const info = topicInfo(topic, partition);
    const from = committedOffset >= 0 ? committedOffset : (info?.logStartOffset ?? 0);
    lags.push({
      topic,
      partition,
      committedOffset,
      logEndOffset: info?.logEndOffset ?? -1,
      // -1: the partition no longer exists, there is no lag to speak of.
      lag: info === undefined ? -1 : Math.max(0, info.highWatermark - from),
      memberId: owners.get(topic)?.get(partition) ?? null,
    });
  };
  for (const { topic, partition } of offsets.entries(group.groupId)) addLag(topic, partition);
  for (const [topic, byPartition] of owners) for (const partition of byPartition.keys()) addLag(topic, partition);
  lags.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));

  return {
    groupId: group.groupId,
    state: group.state,
    protocolType: group.protocolType ?? '',
    protocolName: group.protocolName ?? '',
    generationId: group.generationId,
    leaderId: group.leaderId,
    members,
    offsets: lags,
  };
}

/** A member's assignment is client-supplied bytes: one that does not decode shows as none. */
function safeDecode(decodeAssignment: AssignmentDecoder, assignment: Buffer): AssignedPartitions[] {
  if (assignment.length === 0) return [];
  try {
    return decodeAssignment(assignment);
  } catch {
    return [];
  }
}
