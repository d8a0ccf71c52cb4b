import { getAssignor, memberFromSubscription } from '../common/assignors/index.ts';
import {
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription as encodeConsumerSubscription,
  type TopicPartitions,
} from '../common/consumer-protocol.ts';
import type { JoinGroupMember } from '../protocols/native/apis/groups.ts';

export type { TopicPartitions };

/**
 * The client's side of Kafka's consumer protocol (src/common/consumer-protocol.ts and
 * src/common/assignors/): what a member sends in JoinGroup, and what the leader computes. The
 * same encoding Kafka clients use, so native and Kafka consumers can share one group.
 */

/** JoinGroup metadata: the subscribed topics and what this member owns now. */
export function encodeSubscription(topics: readonly string[], owned: readonly TopicPartitions[], generationId: number): Buffer {
  return encodeConsumerSubscription({ topics: [...topics], ownedPartitions: [...owned], generationId, userData: null });
}

/** Every topic some member of the group subscribes to (the leader needs their partition counts). */
export function subscribedTopics(members: readonly JoinGroupMember[]): string[] {
  const topics = new Set<string>();
  for (const member of members) for (const topic of decodeSubscription(member.metadata).topics) topics.add(topic);
  return [...topics].sort();
}

/** Leader only: runs the group's chosen assignor and encodes each member's share. */
export function assignPartitions(
  protocolName: string,
  members: readonly JoinGroupMember[],
  partitionCounts: ReadonlyMap<string, number>,
): { memberId: string; assignment: Buffer }[] {
  const assignor = getAssignor(protocolName);
  const assignorMembers = members.map((m) => memberFromSubscription(m.memberId, decodeSubscription(m.metadata), m.groupInstanceId));
  const assignment = assignor.assign(assignorMembers, partitionCounts);
  return members.map((m) => ({
    memberId: m.memberId,
    assignment: encodeAssignment({ assignedPartitions: assignment.get(m.memberId) ?? [] }),
  }));
}

/** This member's partitions from its SyncGroup answer (empty when the leader left it out). */
export function decodeMemberAssignment(assignment: Buffer): TopicPartitions[] {
  return decodeAssignment(assignment).assignedPartitions;
}
